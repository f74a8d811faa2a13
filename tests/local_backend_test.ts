import { LocalBackend, NoopBackend } from "../mod.ts";
import { backendConformance } from "./backend_conformance.ts";

backendConformance("LocalBackend", { makeBackend: () => new LocalBackend() });
backendConformance("NoopBackend", {
  makeBackend: () => new NoopBackend(),
  functions: false,
  executables: false,
});
