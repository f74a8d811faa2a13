/**
 * Bundles the package for the browser (and workerd) with esbuild, as a user's bundler would:
 * `platform: "browser"`, ES modules, the public specifiers mapped to the source.
 */
import { build, type BuildResult } from "esbuild";
import { fileURLToPath } from "node:url";

/** The repository's root directory. */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url));

/** The public specifiers, as the package's `exports` map them. */
const ALIAS: Record<string, string> = {
  "@asyncflow/asyncflow": `${ROOT}mod.ts`,
  "@asyncflow/asyncflow/worker_pool": `${ROOT}backends/worker_pool/mod.ts`,
  "@asyncflow/asyncflow/worker_pool/worker": `${ROOT}backends/worker_pool/worker.ts`,
  "@asyncflow/asyncflow/remote": `${ROOT}backends/remote/mod.ts`,
};

/**
 * Bundles each entry into `outdir` as `<name>.js`.
 *
 * @param entries Output name → source file (relative to the repository or absolute).
 * @param outdir Where the bundles go.
 * @param options `minify`; `platform` (default `browser`).
 * @returns esbuild's result, with its metafile.
 */
export function bundle(
  entries: Record<string, string>,
  outdir: string,
  options: { minify?: boolean; platform?: "browser" | "neutral" } = {},
): Promise<BuildResult> {
  return build({
    entryPoints: Object.fromEntries(
      Object.entries(entries).map((
        [name, path],
      ) => [name, path.startsWith("/") ? path : ROOT + path]),
    ),
    outdir,
    bundle: true,
    platform: options.platform ?? "browser",
    format: "esm",
    target: "es2022",
    minify: options.minify ?? false,
    alias: ALIAS,
    // Task names come from the functions' names, which a bundler may rename to avoid clashes.
    keepNames: true,
    metafile: true,
    logLevel: "silent",
  });
}
