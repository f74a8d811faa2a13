/**
 * What every route of the agent's HTTP API answers with when a request is wrong, and how it
 * reads what a client sends: JSON errors, checked bodies, checked integer parameters.
 *
 * @module
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";
import { firstIssue } from "../schemas.ts";
import type { Session } from "../session.ts";

/** What the session routes keep on the request: the session it names. */
export type AgentEnv = { Variables: { session: Session } };

/** A JSON error response: `{ error: { code, message } }`. */
export function problem(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
): Response {
  return c.json({ error: { code, message } }, status);
}

/** Reads and checks a JSON body; a Response (400) when it is malformed or of the wrong shape. */
export async function readJson<T>(
  c: Context,
  schema: {
    safeParse(v: unknown): { success: true; data: T } | { success: false; error: ZodError };
  },
): Promise<T | Response> {
  let value: unknown;
  try {
    const text = await c.req.text();
    value = text === "" ? {} : JSON.parse(text);
  } catch (error) {
    if (error instanceof HTTPException) throw error;
    return problem(c, 400, "bad_json", `the body is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) return problem(c, 400, "bad_request", firstIssue(parsed.error));
  return parsed.data;
}

/** A non-negative integer query parameter: `fallback` when absent, `undefined` when malformed. */
export function intParam(value: string | undefined, fallback: number): number | undefined {
  if (value === undefined || value === "") return fallback;
  if (!/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}
