/**
 * The version `asyncflow version` prints, from the package manifest.
 *
 * @module
 */
import manifest from "../deno.json" with { type: "json" };

/**
 * The package's version.
 *
 * @example
 * ```ts
 * import { VERSION } from "./version.ts";
 * console.assert(/^\d+\.\d+\.\d+/.test(VERSION));
 * ```
 */
export const VERSION: string = manifest.version;
