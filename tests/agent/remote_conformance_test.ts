import { after, before } from "node:test";
import { type AgentHandle, startAgent } from "../../agent/mod.ts";
import { RemoteBackend } from "../../backends/remote/mod.ts";
import { backendConformance } from "../backend_conformance.ts";

const fixtures = new URL("../fixtures/task_functions.ts", import.meta.url);
let agent: AgentHandle;

before(async () => {
  agent = await startAgent({ modules: { fixtures }, cores: 4 });
});
after(async () => {
  await agent.close();
});

backendConformance("RemoteBackend", {
  makeBackend: () =>
    new RemoteBackend({ url: agent.url, token: agent.token, modules: { fixtures } }),
});
