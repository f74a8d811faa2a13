/**
 * Loads the workflow a command names: a YAML file (validated, nothing run)
 * or a TypeScript/JavaScript module whose default export is
 * `(flow: WorkflowEngine) => unknown`.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { runtime } from "../../src/host/runtime.ts";
import type { WorkflowEngine } from "../../mod.ts";
import type { ParamOverrides, ResolvedParam } from "../yaml/params.ts";
import { UsageError } from "../usage.ts";
import { describeLoadError } from "./load_error.ts";
import { shareOwnPackage } from "./share_package.ts";

/** A workflow ready to run on an engine. */
export interface Workflow {
  /** The file it came from. */
  file: string;
  /** `"yaml"` or `"module"`. */
  kind: "yaml" | "module";
  /** Its name: the YAML `name` (or a module's `export const name`), else the file name. */
  name: string;
  /** What it does: the YAML `description`, or a module's `export const description`. */
  description?: string;
  /** Calls its tasks on `flow` and settles when the workflow code returns. */
  run: (flow: WorkflowEngine) => Promise<unknown>;
  /** Module URLs that define its function tasks (task modules for the worker pool). */
  modules: string[];
  /** Commands to run at once locally, when the workflow says (YAML `processes:`). */
  processes?: number;
  /** A YAML workflow's `params:` for this run, with where each value came from. */
  params?: ResolvedParam[];
}

const YAML = new Set([".yaml", ".yml"]);
const MODULE = new Set([".ts", ".mts", ".js", ".mjs"]);

/**
 * Loads a workflow file.
 *
 * @param command The subcommand (for messages).
 * @param file The path.
 * @param params A YAML workflow's `--params` file and `--param` flags (see `cli/yaml/params.ts`).
 * @returns The workflow.
 * @throws {UsageError} When the file is missing, of an unknown kind, or its default export is not a function.
 * @throws {WorkflowFileError} Listing every mistake of a YAML file.
 *
 * @example
 * ```ts ignore
 * import { loadWorkflow } from "./load_workflow.ts";
 * const wf = await loadWorkflow("run", "examples/campaigns.yaml");
 * await wf.run(flow);
 * ```
 */
export async function loadWorkflow(
  command: string,
  file: string,
  params: ParamOverrides = {},
): Promise<Workflow> {
  const ext = extname(file).toLowerCase();
  if (!YAML.has(ext) && !MODULE.has(ext)) {
    throw new UsageError(
      command,
      `'${file}' is not a workflow: expected a .yaml, .yml, .ts or .js file`,
    );
  }
  if (!existsSync(file)) throw new UsageError(command, `workflow file '${file}' does not exist`);
  // Before any workflow or task module loads: they get this copy of the package.
  await shareOwnPackage();
  if (YAML.has(ext)) {
    // Loaded on demand: the `yaml` and `zod` packages stay out of the way of module workflows.
    const { loadYamlWorkflow } = await import("../yaml/load.ts");
    const { yamlWorkflow } = await import("../yaml/build.ts");
    const { resolveParams } = await import("../yaml/params.ts");
    const loaded = await loadYamlWorkflow(file);
    const resolved = await resolveParams(loaded.def.params ?? {}, params, command);
    const values = Object.fromEntries(resolved.map((p) => [p.name, p.value]));
    const { topLevelIterationProblems } = await import("../yaml/iteration_params.ts");
    const problems = topLevelIterationProblems(loaded.def, values);
    if (problems.length > 0) throw new UsageError(command, problems.join("\n"), { help: false });
    return {
      file,
      kind: "yaml",
      name: loaded.def.name ?? file,
      ...(loaded.def.description === undefined ? {} : { description: loaded.def.description }),
      run: yamlWorkflow(loaded, values),
      modules: loaded.modules,
      ...(loaded.def.processes === undefined ? {} : { processes: loaded.def.processes }),
      ...(resolved.length === 0 ? {} : { params: resolved }),
    };
  }
  if (params.file !== undefined || (params.flags?.length ?? 0) > 0) {
    throw new UsageError(
      command,
      `'--param' and '--params' set a YAML workflow's params; '${file}' is a module: ` +
        "read its settings from the environment or a file of its own",
    );
  }
  const url = pathToFileURL(resolve(file)).href;
  let module: { default?: unknown; name?: unknown; description?: unknown };
  try {
    module = await import(url);
  } catch (error) {
    throw new UsageError(
      command,
      `cannot load workflow module '${file}': ${await whyNot(error, file)}`,
    );
  }
  const main = module.default;
  if (typeof main !== "function") {
    throw new UsageError(
      command,
      `'${file}' must have a default export '(flow: WorkflowEngine) => …', got ${
        main === undefined ? "none" : typeof main
      }`,
    );
  }
  return {
    file,
    kind: "module",
    name: typeof module.name === "string" && module.name !== "" ? module.name : file,
    ...(typeof module.description === "string" ? { description: module.description } : {}),
    run: async (flow) => await (main as (flow: WorkflowEngine) => unknown)(flow),
    modules: [url],
  };
}

async function whyNot(error: unknown, file: string): Promise<string> {
  const message = await describeLoadError(error, resolve(file));
  if (runtime === "bun" && /Cannot find (package|module) '@asyncflow\/asyncflow/.test(message)) {
    // Bun's plugins cannot resolve a bare specifier for it (oven-sh/bun#40579), see share_package.ts.
    return `${message}; Bun cannot lend the command's copy of the package to a workflow: ` +
      "install the package beside the workflow, or run the command with Node or Deno";
  }
  return message;
}
