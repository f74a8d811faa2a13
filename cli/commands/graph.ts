/**
 * `asyncflow graph`: the dependency graph of a workflow or a trace, as
 * Mermaid or Graphviz DOT.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import type { TaskEvent } from "../../mod.ts";
import { loadWorkflow } from "../run/load_workflow.ts";
import { dryRunEvents } from "../run/dry_run_events.ts";
import { choiceFlag, EXIT, parseCommandArgs, UsageError } from "../usage.ts";
import { writeOutputFile } from "../output_file.ts";
import type { Command } from "./command.ts";

const HELP = `Usage: asyncflow graph <workflow.yaml | workflow.ts | trace.jsonl> [options]

Prints the dependency graph: blocks as subgraphs, one node per task, an edge from
each dependency to its dependent. From a workflow, the graph comes from a dry run
(nothing executes); from a trace, it is the graph that ran, coloured by state,
with a legend of the states.

Options:
  --format <f>         mermaid (default) or dot
  --trace <file>       take the graph and the states from this trace of the workflow
  --collapse           one node per template (tasks of the same name in the same block),
                       'name ×N', as snakemake --rulegraph draws rules
  --param <name=value> set a parameter of a YAML workflow's params: (repeatable), as
                       'asyncflow run' takes it: the graph is the one that run would make
  --params <file>      a YAML or JSON mapping of parameter names to values; --param wins
  -o, --output <file>  write to <file> instead of stdout
  -h, --help           this help`;

/** The `graph` subcommand. */
export const graphCommand: Command = {
  name: "graph",
  summary: "print the dependency graph as Mermaid or DOT (coloured by state from a trace)",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("graph", argv, {
      format: { type: "string" },
      trace: { type: "string" },
      collapse: { type: "boolean" },
      output: { type: "string", short: "o" },
      param: { type: "string", multiple: true },
      params: { type: "string" },
    });
    if (values.help) {
      io.out(HELP + "\n");
      return EXIT.ok;
    }
    const format = choiceFlag("graph", "format", values.format, ["mermaid", "dot"]) ?? "mermaid";
    const input = positionals[0];
    if (positionals.length !== 1 || input === undefined) {
      throw new UsageError(
        "graph",
        positionals.length === 0 ? "missing <workflow> or <trace.jsonl>" : "expected one file",
      );
    }
    const { buildGraph, collapseGraph, readTrace, toDot, toMermaid } = await import(
      "../../graph/mod.ts"
    );
    const tracePath = (values.trace as string | undefined) ??
      (input.endsWith(".jsonl") ? input : undefined);
    const params = {
      flags: (values.param ?? []) as string[],
      ...(values.params === undefined ? {} : { file: values.params as string }),
    };
    let events: TaskEvent[];
    if (tracePath !== undefined) {
      // Still say when the workflow itself is wrong.
      if (tracePath !== input) await loadWorkflow("graph", input, params);
      events = readTrace(await readText("graph", tracePath));
    } else {
      events = await dryRunEvents(await loadWorkflow("graph", input, params));
    }
    // A dry run's states say nothing (everything is "done"): colour only what really ran.
    const colorByState = tracePath !== undefined;
    const graph = values.collapse ? collapseGraph(buildGraph(events)) : buildGraph(events);
    const text = format === "dot"
      ? toDot(graph, { colorByState })
      : toMermaid(graph, { colorByState });
    if (values.output === undefined) io.out(text);
    else await writeOutputFile("graph", values.output as string, text);
    return EXIT.ok;
  },
};

/**
 * Reads a text file for a command.
 *
 * @throws {UsageError} Naming the file when it cannot be read.
 */
export async function readText(command: string, path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new UsageError(
      command,
      `cannot read '${path}': ${code === "ENOENT" ? "no such file" : String(error)}`,
    );
  }
}
