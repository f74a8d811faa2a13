import { WorkerPoolBackend } from "../../backends/worker_pool/mod.ts";
import { backendConformance } from "../backend_conformance.ts";

const modules = [new URL("../fixtures/task_functions.ts", import.meta.url)];

backendConformance("WorkerPoolBackend", {
  makeBackend: () => new WorkerPoolBackend({ modules, size: 2 }),
});
