import { CancelledError, DependencyFailureError } from "./errors.ts";
import type { RetryPolicy } from "./options.ts";

/**
 * Decides whether a failed attempt is retried and after how long.
 *
 * @param retries The task's validated `retries` option: re-runs after the first run.
 * @param error The error of the failed attempt.
 * @param attempt The number of the attempt that failed (1 for the first).
 * @returns The delay in ms before the next attempt, or `undefined` for no retry.
 */
export function retryDelay(
  retries: number | RetryPolicy | undefined,
  error: unknown,
  attempt: number,
): number | undefined {
  if (retries === undefined || retries === 0) return undefined;
  if (error instanceof CancelledError || error instanceof DependencyFailureError) return undefined;
  // Validated options: `max` is set and durations are in ms (see validateOptions).
  const policy: RetryPolicy = typeof retries === "number" ? { max: retries } : retries;
  if (attempt > policy.max!) return undefined;
  if (policy.retryOn && !policy.retryOn(error, attempt)) return undefined;
  const base = (policy.backoff ?? 0) as number;
  const delay = base * (policy.factor ?? 2) ** (attempt - 1);
  return Math.min(delay, (policy.maxBackoff ?? 30_000) as number);
}
