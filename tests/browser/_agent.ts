/** A real agent process on loopback for the browser and workerd tests, with CORS for a page. */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import { ROOT } from "./_bundle.ts";

/** A running agent: where it is, its token, and how to stop it. */
export interface AgentProcess {
  readonly url: string;
  readonly token: string;
  stop(): Promise<void>;
}

/**
 * Starts `agent/main.ts` on Node (the runtime running this suite) with the remote test tasks.
 *
 * @param corsOrigins Origins given as `--cors-origin`.
 * @returns The agent, once it printed its endpoint.
 */
export function startAgentProcess(corsOrigins: string[]): Promise<AgentProcess> {
  const args = [
    `${ROOT}agent/main.ts`,
    "--module",
    `tasks=${ROOT}tests/browser/pages/remote_tasks.ts`,
    "--cores",
    "1",
    ...corsOrigins.flatMap((o) => ["--cors-origin", o]),
  ];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    let text = "";
    child.once("exit", (code) => reject(new Error(`the agent exited with ${code}: ${text}`)));
    child.stdout!.on("data", (chunk: Uint8Array) => {
      text += new TextDecoder().decode(chunk);
      const line = text.indexOf("\n");
      if (line < 0) return;
      const { url, tokenFile } = JSON.parse(text.slice(0, line));
      resolve({
        url,
        token: readFileSync(tokenFile, "utf8").trim(),
        stop: () => (child.kill("SIGTERM"), exited),
      });
    });
  });
}
