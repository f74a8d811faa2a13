/**
 * The remote client in a page, talking to a real agent on another origin (CORS): task modules
 * given as an imported namespace, no URL and no file system.
 */
import { WorkflowEngine } from "@asyncflow/asyncflow";
import { RemoteBackend } from "@asyncflow/asyncflow/remote";
import * as tasks from "./remote_tasks.ts";
import { expose, rejection } from "./_expose.ts";

expose(async (input) => {
  const backend = new RemoteBackend({ url: input.url!, token: input.token!, modules: { tasks } });
  const flow = await WorkflowEngine.create({ backend });
  try {
    const add = flow.functionTask(tasks.add);
    const echo = flow.executableTask((n: number) => ["echo", String(n)]);
    const fail = flow.executableTask(() => ["sh", "-c", "exit 3"]);
    return {
      sum: await add(add(1, 2), 4),
      ranOn: await flow.functionTask(tasks.host)(),
      echoed: await echo(add(2, 2)),
      failed: await rejection(() => fail()),
    };
  } finally {
    await flow.shutdown();
  }
});
