#!/usr/bin/env bash
# The documentation checks of CI, over every export in deno.json: `deno doc --lint` (JSDoc on every
# public symbol), every example able to fail (scripts/check_doc_examples.ts), and every example run
# as a test (`deno test --doc`).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
deno run -A scripts/check_doc_lint.ts
deno run --allow-read scripts/check_doc_examples.ts
deno test -A --doc --quiet mod.ts src/ backends/ agent/ cli/ graph/ report/ otel/ dashboard/ protocol/
