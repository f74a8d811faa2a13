import { LocalBackend, NoopBackend } from "../mod.ts";
import { backendConformance } from "./backend_conformance.ts";

backendConformance("LocalBackend", { makeBackend: () => new LocalBackend() });
// Commands are started through the launcher by default; without it, by a spawn each.
backendConformance("LocalBackend without the launcher", {
  makeBackend: () => new LocalBackend({ launcher: false }),
  functions: false,
});
backendConformance("NoopBackend", {
  makeBackend: () => new NoopBackend(),
  functions: false,
  executables: false,
});
