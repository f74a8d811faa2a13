#!/usr/bin/env bash
# The documentation checks of CI, over every export in deno.json: `deno doc --lint` (JSDoc on every
# public symbol), every example able to fail (scripts/check_doc_examples.ts), and every example run
# as a test (`deno test --doc`).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
# The folders of every export in deno.json, src/ (the core, reached through mod.ts) and jsonl/
# (the JSONL files the agent and the CLI share): a new export's folder is checked without anyone
# adding it here.
mapfile -t roots < <(deno eval --quiet '
  const exports = JSON.parse(Deno.readTextFileSync("deno.json")).exports;
  const tops = Object.values(exports).map((p) => p.replace(/^\.\//, "").split("/")[0]);
  console.log([...new Set(["src", "jsonl", ...tops])].join("\n"));')
echo "check_docs: ${roots[*]}"
deno run -A scripts/check_doc_lint.ts
deno run --allow-read scripts/check_doc_examples.ts "${roots[@]}"
# In parallel (one runner per core): 53 s against 92 s one after another on two cores.
deno test -A --doc --quiet --parallel "${roots[@]}"
