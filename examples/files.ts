/**
 * A workflow module for `asyncflow run`: the sweep of examples/files.yaml in TypeScript.
 * generate → process → aggregate over 4 points, wired by the files each task declares — no task
 * receives another's future — so `asyncflow run examples/files.ts --resume last` reruns only
 * what a missing or changed file calls for (docs/files.md).
 *
 * ```sh
 * mkdir -p demo && echo 10 > demo/scale.txt
 * asyncflow run examples/files.ts
 * asyncflow run examples/files.ts --resume last
 * ```
 *
 * @module
 */
import type { WorkflowEngine } from "@asyncflow/asyncflow";

const POINTS = [1, 2, 3, 4];

/** Squares each point into `demo/raw/`, scales it into `demo/out/`, and sums the results. */
export default async function files(flow: WorkflowEngine): Promise<void> {
  const generate = flow.executableTask(
    (i: number) => `mkdir -p demo/raw && echo ${i * i} > demo/raw/p${i}.dat`,
    { name: "generate", outputs: (i: number) => [`demo/raw/p${i}.dat`] },
  );
  const process = flow.executableTask(
    (i: number) =>
      `mkdir -p demo/out && echo $(( $(cat demo/raw/p${i}.dat) * $(cat demo/scale.txt) )) > demo/out/p${i}.dat`,
    {
      name: "process",
      inputs: (i: number) => [`demo/raw/p${i}.dat`, "demo/scale.txt"],
      outputs: (i: number) => [`demo/out/p${i}.dat`],
    },
  );
  const aggregate = flow.executableTask(
    () => "awk '{ s += $1 } END { print s }' demo/out/p*.dat | tee demo/out/sum.txt",
    {
      name: "aggregate",
      inputs: POINTS.map((i) => `demo/out/p${i}.dat`),
      outputs: ["demo/out/sum.txt"],
    },
  );
  // Called in order: a task waits for the call made before it that declared its input.
  for (const i of POINTS) {
    generate.with({ key: i })(i);
    process.with({ key: i })(i);
  }
  console.log(`sum: ${await aggregate()}`);
}
