/**
 * Resolves "a pilot" given on the command line: a pilot directory (holding `pilot.json`) or a
 * bare Slurm job id.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { PILOT_FILES } from "./batch_script.ts";
import type { PilotInfo } from "./submit.ts";

/** A pilot's job id, and its directory when known. */
export interface PilotRef {
  jobId: string;
  pilotDir?: string;
}

/** Reads `pilot.json` from a directory, or takes a job id as is. */
export async function resolvePilot(pilot: string): Promise<PilotRef> {
  if (/^\d+$/.test(pilot)) return { jobId: pilot };
  const dir = resolve(pilot);
  let info: PilotInfo;
  try {
    info = JSON.parse(await readFile(join(dir, PILOT_FILES.info), "utf8")) as PilotInfo;
  } catch (error) {
    throw new Error(
      `'${pilot}' is neither a job id nor a pilot directory with a readable ${PILOT_FILES.info}: ` +
        (error as Error).message,
      { cause: error },
    );
  }
  if (typeof info.jobId !== "string" || !/^\d+$/.test(info.jobId)) {
    throw new Error(`${join(dir, PILOT_FILES.info)} has no valid jobId`);
  }
  return { jobId: info.jobId, pilotDir: dir };
}
