/**
 * `asyncflow dashboard <trace.jsonl>`: the live dashboard of a past run, served on loopback.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { basename } from "node:path";
import process from "node:process";
import type { CliIo } from "../io.ts";
import { portOption } from "../run/run_dashboard.ts";
import { onStopSignal } from "../run/signals.ts";
import { runsDir } from "../runs/runs_dir_option.ts";
import { EXIT, parseCommandArgs, UsageError } from "../usage.ts";
import type { Command } from "./command.ts";
import { readTraceArgument } from "./trace_argument.ts";

const HELP = `Usage: asyncflow dashboard [run | trace.jsonl] [options]
       asyncflow dashboard --agent <endpoint.json | URL> [options]

Serves the dashboard of a past run on loopback, with a random token in its URL,
until Ctrl-C: the report's views (Gantt chart by backend and worker, running tasks
over time, the graph coloured by state, failures) in a browser. Reach it from
another machine with ssh -L. The run is a recorded run (an id, a unique prefix, or
'last', the default) or a trace file.

With --agent, it shows live the tasks a running agent holds, from every session's
event stream: the agent's endpoint file, or its URL with the token in
$ASYNCFLOW_AGENT_TOKEN. The agent's token stays in this process: the page has its
own.

Options:
  --agent <file|URL>   follow a running agent instead of showing a past run
  --port <n>           the port to listen on (default: a free one)
  --title <text>       the page's title (default: the trace's file name)
  --runs-dir <dir>     where the runs are (default: $ASYNCFLOW_RUNS_DIR, else .asyncflow/runs)
  -h, --help           this help`;

/** The `dashboard` subcommand. */
export const dashboardCommand: Command = {
  name: "dashboard",
  summary: "serve the dashboard of a past run (a recorded run or a trace) on loopback",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("dashboard", argv, {
      port: { type: "string" },
      title: { type: "string" },
      "runs-dir": { type: "string" },
      agent: { type: "string" },
    });
    if (values.help) {
      io.out(HELP + "\n");
      return EXIT.ok;
    }
    const port = portOption("dashboard", "port", values.port as string | undefined);
    if (values.agent !== undefined) {
      if (positionals.length > 0) {
        throw new UsageError("dashboard", "--agent shows a running agent: give no run or trace");
      }
      return await serveAgent(values.agent as string, values.title as string | undefined, port, io);
    }
    const root = runsDir(values["runs-dir"] as string | undefined);
    const { trace, events } = await readTraceArgument("dashboard", positionals, root);
    const { serveDashboard } = await import("../../dashboard/mod.ts");
    const title = (values.title as string | undefined) ?? `asyncflow: ${basename(trace)}`;
    let dashboard;
    try {
      dashboard = await serveDashboard(events, { title, port });
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new UsageError(
        "dashboard",
        code === "EADDRINUSE" ? `port ${port} is in use: pick another with --port` : String(error),
      );
    }
    io.out(`${dashboard.url}\n`);
    io.err(`dashboard of ${trace} (${events.length} events); Ctrl-C stops it\n`);
    await untilStopped();
    await dashboard.close();
    return EXIT.ok;
  },
};

/** Resolves at Ctrl-C (SIGINT) or SIGTERM. */
async function untilStopped(): Promise<void> {
  const stopped = Promise.withResolvers<void>();
  const off = onStopSignal(() => stopped.resolve());
  await stopped.promise;
  off();
}

/** `--agent`: the live dashboard of a running agent's tasks, until Ctrl-C. */
async function serveAgent(
  agent: string,
  title: string | undefined,
  port: number,
  io: CliIo,
): Promise<number> {
  const { AgentEventSource, serveDashboard } = await import("../../dashboard/mod.ts");
  let source;
  if (/^https?:\/\//.test(agent)) {
    const token = process.env.ASYNCFLOW_AGENT_TOKEN;
    if (!token) {
      throw new UsageError(
        "dashboard",
        `--agent ${agent} is a URL: put the agent's token in $ASYNCFLOW_AGENT_TOKEN, or give its endpoint file`,
      );
    }
    source = new AgentEventSource({ endpoint: { url: agent, token } });
  } else {
    if (!existsSync(agent)) {
      throw new UsageError(
        "dashboard",
        `no endpoint file '${agent}': give the agent's endpoint.json (in its directory) or its URL`,
      );
    }
    source = new AgentEventSource({ endpointFile: agent });
  }
  let dashboard;
  try {
    dashboard = await serveDashboard(source, { title: title ?? "asyncflow agent", port });
  } catch (error) {
    await source.close();
    const code = (error as { code?: string }).code;
    throw new UsageError(
      "dashboard",
      code === "EADDRINUSE" ? `port ${port} is in use: pick another with --port` : String(error),
    );
  }
  // Only the page's own address: never the agent's token.
  io.out(`${dashboard.url}\n`);
  io.err(`dashboard of the agent's tasks, live; Ctrl-C stops it\n`);
  await untilStopped();
  await dashboard.close();
  await source.close();
  return EXIT.ok;
}
