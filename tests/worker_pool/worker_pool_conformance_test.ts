import { WorkerPoolBackend } from "../../backends/worker_pool/mod.ts";
import { backendConformance } from "../backend_conformance.ts";

const modules = [new URL("../fixtures/task_functions.ts", import.meta.url)];

backendConformance("WorkerPoolBackend", {
  makeBackend: () => new WorkerPoolBackend({ modules, size: 2 }),
});

// Without SharedArrayBuffer (a page that is not cross-origin isolated) jobs are claimed over
// messages: the same contract must hold.
backendConformance('WorkerPoolBackend in "messages" mode', {
  makeBackend: () => new WorkerPoolBackend({ modules, size: 2, mode: "messages" }),
});
