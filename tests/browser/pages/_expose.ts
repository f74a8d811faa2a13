/** How a page hands its scenario to the test: `runScenario(input)` resolves to plain data. */
export function expose(scenario: (input: Record<string, string>) => Promise<unknown>): void {
  (globalThis as { runScenario?: typeof scenario }).runScenario = scenario;
}

/**
 * Notes the step a scenario is at, which the test names when the scenario does not finish in
 * time (a hang says where it is).
 */
export function step(name: string): void {
  (globalThis as { scenarioStep?: string }).scenarioStep = name;
}

/** An error as data the test can assert on. */
export function described(error: unknown): { name: string; message: string } {
  return error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: typeof error, message: String(error) };
}

/** What `fn` rejects with, as data (or `"resolved"`). */
export async function rejection(fn: () => PromiseLike<unknown>): Promise<unknown> {
  try {
    await fn();
    return "resolved";
  } catch (error) {
    return described(error);
  }
}
