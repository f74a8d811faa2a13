/**
 * A module Worker for workerd (no compatibility flags): the same workflow code as on the other
 * runtimes, in its fetch handler. `/core` runs a small workflow, `/pool` tries to make a worker
 * pool, `/remote?url=…&token=…` runs tasks on a real agent.
 */
import { DependencyFailureError, WorkflowEngine } from "@asyncflow/asyncflow";
import { WorkerPoolBackend } from "@asyncflow/asyncflow/worker_pool";
import { RemoteBackend } from "@asyncflow/asyncflow/remote";
import * as tasks from "../browser/pages/remote_tasks.ts";

function described(error: unknown): { name: string; message: string } {
  return error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: typeof error, message: String(error) };
}

async function core(): Promise<unknown> {
  const flow = await WorkflowEngine.create();
  try {
    const step = flow.functionTask(async function step(name: string, n: number) {
      await Promise.resolve();
      return `${name}-${n}`;
    });
    const campaign = flow.block(async function campaign(name: string, ..._after: unknown[]) {
      const scope = flow.scope();
      let last = "";
      for (let n = 1; n <= 3; n++) last = await scope.run(() => step(name, n));
      return last;
    });
    const a1 = campaign("A1");
    const campaigns = await Promise.all([a1, campaign("A2", a1)]);
    const boom = flow.functionTask(function boom(): number {
      throw new RangeError("out of range");
    });
    let failure: unknown;
    try {
      await flow.functionTask((n: number) => n + 1)(boom());
    } catch (error) {
      failure = { dependency: error instanceof DependencyFailureError, ...described(error) };
    }
    let executable: unknown;
    try {
      await flow.executableTask(() => ["echo", "hi"])();
    } catch (error) {
      executable = described(error);
    }
    return { campaigns, failure, executable, stats: flow.stats() };
  } finally {
    await flow.shutdown();
  }
}

function pool(): unknown {
  try {
    new WorkerPoolBackend({ modules: ["https://example.org/tasks.js"] });
    return "constructed";
  } catch (error) {
    return described(error);
  }
}

async function remote(url: string, token: string): Promise<unknown> {
  const backend = new RemoteBackend({ url, token, modules: { tasks } });
  const flow = await WorkflowEngine.create({ backend });
  try {
    const add = flow.functionTask(tasks.add);
    return {
      sum: await add(add(1, 2), 4),
      ranOn: await flow.functionTask(tasks.host)(),
      echoed: await flow.executableTask((n: number) => ["echo", String(n)])(add(2, 2)),
    };
  } finally {
    await flow.shutdown();
  }
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    try {
      const body = url.pathname === "/core"
        ? await core()
        : url.pathname === "/pool"
        ? pool()
        : url.pathname === "/remote"
        ? await remote(url.searchParams.get("url")!, url.searchParams.get("token")!)
        : undefined;
      return Response.json(body ?? { error: `no route ${url.pathname}` });
    } catch (error) {
      return Response.json({ uncaught: described(error) }, { status: 500 });
    }
  },
};
