/**
 * `asyncflow run --dashboard`: the live dashboard of the run, served on loopback while the
 * command lives. The dashboard's module is loaded only when asked for, so a run without it pays
 * nothing.
 *
 * @module
 */
import type { Dashboard } from "../../dashboard/mod.ts";
import type { TaskEventSource } from "../../mod.ts";
import type { CliIo } from "../io.ts";
import { integerFlag, UsageError } from "../usage.ts";

/**
 * Reads a port option: a number from 0 to 65535 (0: a free one).
 *
 * @param command The subcommand, for the error.
 * @param flag The option's name, without `--`.
 * @param text The option's value; `undefined` gives 0.
 * @returns The port.
 * @throws {UsageError} When `text` is not such a number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { portOption } from "./run_dashboard.ts";
 * assert.equal(portOption("run", "dashboard-port", "8080"), 8080);
 * assert.equal(portOption("run", "dashboard-port", undefined), 0);
 * assert.throws(() => portOption("run", "dashboard-port", "80x"), /'--dashboard-port' must be an integer from 0 to 65535, got the string "80x"/);
 * ```
 */
export function portOption(command: string, flag: string, text: string | undefined): number {
  return integerFlag(command, flag, text, 0, 65535) ?? 0;
}

/**
 * The dashboard of one run: made by the command from its options, attached to the engine by
 * `runWorkflow` as soon as the engine exists (before any task runs), told when the run ends, and
 * closed by the command — at once, or after Ctrl-C with `--dashboard-keep`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkflowEngine } from "@asyncflow/asyncflow";
 * import { memoryIo } from "../io.ts";
 * import { RunDashboard } from "./run_dashboard.ts";
 * await using flow = await WorkflowEngine.create();
 * const io = memoryIo();
 * const dashboard = new RunDashboard({ port: 0, keep: false }, io);
 * await dashboard.attach(flow, "t");
 * assert.match(io.stderr, /^dashboard: http:\/\/127\.0\.0\.1:\d+\/\?token=\S+ \(until the run ends/);
 * assert.equal((await fetch(dashboard.url!)).status, 200);
 * dashboard.finish();
 * await dashboard.close();
 * assert.equal(await fetch(dashboard.url!).then(() => "open", () => "closed"), "closed");
 * ```
 */
export class RunDashboard {
  /** Keep serving the final view after the run, until Ctrl-C. */
  readonly keep: boolean;
  readonly #port: number;
  readonly #io: CliIo;
  #dashboard: Dashboard | undefined;

  /**
   * A dashboard not yet serving: {@linkcode RunDashboard.attach} starts it.
   *
   * @param options The port (0: a free one) and whether the dashboard outlives the run.
   * @param io Where the URL is printed.
   */
  constructor(options: { port: number; keep: boolean }, io: CliIo) {
    this.#port = options.port;
    this.keep = options.keep;
    this.#io = io;
  }

  /** The page's address, with its token, once attached. */
  get url(): string | undefined {
    return this.#dashboard?.url;
  }

  /**
   * Serves the dashboard of everything `source` runs from now on and prints its URL on stderr.
   *
   * @param source The run's engine.
   * @param title The page's title.
   * @throws {UsageError} When the port is in use or the server cannot listen.
   */
  async attach(source: TaskEventSource, title: string): Promise<void> {
    // Loaded only when asked for: a run without a dashboard does not load the report's renderer.
    const { serveDashboard } = await import("../../dashboard/mod.ts");
    try {
      this.#dashboard = await serveDashboard(source, { title, port: this.#port });
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new UsageError(
        "run",
        code === "EADDRINUSE"
          ? `port ${this.#port} is in use: pick another with --dashboard-port`
          : `cannot serve the dashboard: ${String(error)}`,
        { help: false },
      );
    }
    const until = this.keep ? "until Ctrl-C" : "until the run ends; --dashboard-keep keeps it";
    this.#io.err(`dashboard: ${this.#dashboard.url} (${until})\n`);
  }

  /** Says that the run has ended: the page shows the final view and stops following. */
  finish(): void {
    this.#dashboard?.finish();
  }

  /** Closes the server. */
  async close(): Promise<void> {
    await this.#dashboard?.close();
  }
}
