import { LocalBackend, NoopBackend } from "../mod.ts";
import { backendConformance } from "./backend_conformance.ts";

// Commands start through the launcher (the default on Node and Deno) or by a spawn each (on Bun).
backendConformance("LocalBackend", { makeBackend: () => new LocalBackend({ launcher: true }) });
backendConformance("LocalBackend with a spawn per command", {
  makeBackend: () => new LocalBackend({ launcher: false }),
  functions: false,
});
backendConformance("NoopBackend", {
  makeBackend: () => new NoopBackend(),
  functions: false,
  executables: false,
});
