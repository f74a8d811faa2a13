/**
 * The schema of a YAML workflow file, as zod types. Structure and types are
 * checked here; cross-references (unknown tasks, cycles, parameters) are
 * checked afterwards in `check_references.ts`, where the whole file is known.
 *
 * @module
 */
import { z } from "zod";
import { durationProblem, parseDuration } from "../../mod.ts";
import { paramName, zipLengthProblem } from "./iteration_params.ts";

const ID = /^[A-Za-z_][\w-]*$/;

/** A task or block id: a letter or `_`, then letters, digits, `_` or `-`. */
export const Id = z.string().regex(ID, {
  error: "must start with a letter or '_' and hold only letters, digits, '_' or '-'",
});

/**
 * A duration as the engine reads it (`500ms`, `30s`, `5m`, `1h30m`); a bare
 * number still means seconds for this release, with a deprecation notice
 * (see `deprecations.ts`).
 */
function duration(zero: boolean) {
  const error = (issue: { input?: unknown }) =>
    durationProblem(issue.input, { textOnly: true, zero });
  return z.union([z.number(), z.string()], { error }).superRefine((value, ctx) => {
    const ok = typeof value === "number"
      ? Number.isFinite(value) && (value > 0 || (zero && value === 0))
      : isDuration(value, zero);
    if (!ok) {
      ctx.addIssue({ code: "custom", message: durationProblem(value, { textOnly: true, zero }) });
    }
  });
}

function isDuration(text: string, zero: boolean): boolean {
  try {
    parseDuration(text, "", "", { textOnly: true, zero });
    return true;
  } catch {
    return false;
  }
}

/** A duration of more than zero: `500ms`, `30s`, `5m`, `1h30m`. */
export const Duration = duration(false);
/** A duration that may be zero (a back-off). */
export const DelayDuration = duration(true);

const Command = z.union([z.string().trim().min(1), z.array(z.string()).min(1)], {
  error: "must be a command string (run by /bin/sh) or a non-empty list of strings (argv)",
});

const FunctionRef = z.strictObject({
  module: z.string().min(1, { error: "must name a module file (relative to the YAML file)" }),
  export: z.string().min(1).default("default"),
});

const Resources = z.strictObject({
  ranks: z.int().min(1).optional(),
  cores_per_rank: z.int().min(1).optional(),
  gpus_per_rank: z.int().min(0).optional(),
  memory_mb: z.int().min(1).optional(),
});

const RetryPolicy = z.strictObject({
  max: z.int().min(0).optional(),
  /** Deprecated: the same count as `max`. */
  attempts: z.int().min(0).optional(),
  backoff: DelayDuration.optional(),
  factor: z.number().min(1).optional(),
  max_backoff: DelayDuration.optional(),
}).superRefine((policy, ctx) => {
  if ((policy.max === undefined) === (policy.attempts === undefined)) {
    ctx.addIssue({
      code: "custom",
      path: ["max"],
      message: policy.max === undefined
        ? "is missing: the number of re-runs after the first run ({ max: 3 } runs at most 4 times)"
        : "'max' and its old spelling 'attempts' say the same: give only 'max'",
    });
  }
});

const Retries = z.union([
  z.int().min(0),
  RetryPolicy,
], {
  error:
    "must be the number of re-runs after the first run, or { max, backoff, factor, max_backoff }",
});

const EnvValue = z.union([z.string(), z.number(), z.boolean()], {
  error: "an environment value must be a string, a number or a boolean",
});

const Ids = z.union([Id, z.array(Id)], { error: "must be a task id or a list of task ids" });

/** Declared files (`inputs:`, `outputs:`): paths, relative to the task's `cwd`. */
const Paths = z.array(z.string().min(1, { error: "a path must not be empty" }), {
  error: "must be a list of paths (strings)",
});

/** A list or a count given by a parameter: exactly `${{ params.<name> }}`. */
function paramRef(what: string) {
  return z.string().refine((text) => paramName(text) !== undefined, {
    error: `must be ${what}, or exactly \${{ params.<name> }} to take a parameter's value`,
  });
}
const ParamRef = paramRef("a list");

const Lists = z.record(Id, z.union([z.array(z.unknown()).min(1), ParamRef])).refine(
  (lists) => Object.keys(lists).length > 0,
  { error: "must name at least one list: { <name>: [values, …] }" },
);

/** Several named lists, zipped or combined; see `for_each.ts`. */
const CombinedLists = z.strictObject({
  zip: Lists.optional(),
  product: Lists.optional(),
}).superRefine((forEach, ctx) => {
  if ((forEach.zip === undefined) === (forEach.product === undefined)) {
    ctx.addIssue({
      code: "custom",
      message: forEach.zip === undefined
        ? "needs 'zip' (the n-th items together) or 'product' (every combination)"
        : "takes 'zip' or 'product', not both",
    });
    return;
  }
  // Lists given by parameters are checked when their values are known (iteration_params.ts).
  const known = Object.entries(forEach.zip ?? {}).filter(([, list]) => Array.isArray(list));
  const problem = zipLengthProblem(Object.fromEntries(known) as Record<string, unknown[]>);
  if (problem !== undefined) {
    ctx.addIssue({ code: "custom", path: ["zip", problem.list], message: problem.message });
  }
});

const ForEach = z.union([z.array(z.unknown()).min(1), ParamRef, CombinedLists], {
  error: "must be a list (one task per element), ${{ params.<name> }}, " +
    "{ zip: { <name>: [...], … } } or { product: { <name>: [...], … } }",
});

const TASK_FIELDS = {
  name: z.string().min(1).optional(),
  command: Command.optional(),
  function: FunctionRef.optional(),
  block: Id.optional(),
  args: z.array(z.unknown()).optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  after: Ids.optional(),
  retries: Retries.optional(),
  timeout: Duration.optional(),
  priority: z.number().optional(),
  resources: Resources.optional(),
  cwd: z.string().min(1).optional(),
  env: z.record(z.string(), EnvValue).optional(),
  inputs: Paths.optional(),
  outputs: Paths.optional(),
  for_each: ForEach.optional(),
  repeat: z.union([z.int().min(1), paramRef("a whole number of at least 1")]).optional(),
};

type TaskFields = z.output<z.ZodObject<typeof TASK_FIELDS>>;

/** The rules that span several fields of a task. */
function checkTask(task: TaskFields, ctx: z.RefinementCtx): void {
  const kinds = (["command", "function", "block"] as const).filter((k) => task[k] !== undefined);
  if (kinds.length !== 1) {
    ctx.addIssue({
      code: "custom",
      message: kinds.length === 0
        ? "a task needs one of 'command', 'function' or 'block'"
        : `a task takes only one of 'command', 'function' or 'block', got ${kinds.join(" and ")}`,
    });
    return;
  }
  const only = (key: keyof typeof task, owner: string) => {
    if (task[key] !== undefined && kinds[0] !== owner) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: `'${key}' applies only to ${owner} tasks`,
      });
    }
  };
  only("args", "function");
  only("params", "block");
  only("cwd", "command");
  only("env", "command");
  if (kinds[0] === "block") {
    for (const key of ["resources", "priority", "inputs", "outputs"] as const) {
      if (task[key] !== undefined) {
        ctx.addIssue({ code: "custom", path: [key], message: `'${key}' does not apply to blocks` });
      }
    }
  }
  if (task.for_each !== undefined && task.repeat !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["repeat"],
      message: "use 'for_each' or 'repeat', not both",
    });
  }
}

/** One task: a command, a function or an instance of a block template. */
export const Task = z.strictObject(TASK_FIELDS).superRefine(checkTask);

/** A step of a block's `steps` list: a task with an optional id (to reference its output). */
export const Step = z.strictObject({ id: Id.optional(), ...TASK_FIELDS }).superRefine(checkTask);

const TaskMap = z.record(Id, Task);

/** A block template: a sub-workflow of `tasks` (a graph) or `steps` (a sequence). */
export const Block = z.strictObject({
  description: z.string().optional(),
  params: z.array(Id).optional(),
  /**
   * What an instance of the block resolves to: `${{ tasks.<id>.output }}` of one of its tasks,
   * or a list or mapping of such expressions (and plain values).
   */
  output: z.unknown().optional(),
  tasks: TaskMap.optional(),
  steps: z.array(Step).min(1).optional(),
}).superRefine((block, ctx) => {
  if ((block.tasks === undefined) === (block.steps === undefined)) {
    ctx.addIssue({
      code: "custom",
      message: "a block needs either 'tasks' (a graph) or 'steps' (a sequence)",
    });
  }
});

/** A whole workflow file. */
export const WorkflowFile = z.strictObject({
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  /** Commands the local backend runs at once (the `--processes` flag overrides it). */
  processes: z.number().int().positive().optional(),
  /**
   * The workflow's parameters and their defaults, read as `${{ params.<name> }}` by its top-level
   * tasks; `--params <file>` and `--param name=value` override them.
   */
  params: z.record(Id, z.unknown()).optional(),
  tasks: TaskMap,
  blocks: z.record(Id, Block).optional(),
});

/** Every key the schema knows, at any level: what a misspelt key is compared with. */
export const KNOWN_KEYS: readonly string[] = [
  ...new Set([
    ...Object.keys(WorkflowFile.shape),
    ...Object.keys(TASK_FIELDS),
    "id",
    ...Object.keys(FunctionRef.shape),
    ...Object.keys(Resources.shape),
    ...Object.keys(RetryPolicy.shape),
    ...Object.keys(CombinedLists.shape),
    "output",
    "description",
    "params",
    "tasks",
    "steps",
  ]),
];

/** A task as the schema accepts it. */
export type TaskDef = z.output<typeof Task>;
/** A step: a task with an optional id. */
export type StepDef = z.output<typeof Step>;
/** A block template as the schema accepts it. */
export type BlockDef = z.output<typeof Block>;
/** A workflow file as the schema accepts it. */
export type WorkflowDef = z.output<typeof WorkflowFile>;
