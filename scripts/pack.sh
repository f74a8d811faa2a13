#!/usr/bin/env bash
# Builds the npm package of asyncflow, the tarball users install with npm, Bun or Deno:
# `deno pack` compiles every export of deno.json to JS + .d.ts, and scripts/npm_manifest.ts adds
# what it leaves out in this repository's layout (a package.json beside deno.json makes it resolve
# npm packages from node_modules, and it then records none): the npm dependencies, taken from
# deno.json's `npm:` imports as JSR's npm layer takes them, and the `asyncflow` bin.
# Usage: scripts/pack.sh [output.tgz]   (default: dist/asyncflow-<version>.tgz)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
version=$(deno eval --quiet 'console.log(JSON.parse(Deno.readTextFileSync("deno.json")).version)')
out=$(realpath -m "${1:-dist/asyncflow-$version.tgz}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

deno pack --allow-dirty --quiet -o "$work/deno-pack.tgz"
tar -xzf "$work/deno-pack.tgz" -C "$work"
deno run --allow-read --allow-write scripts/npm_manifest.ts deno.json "$work/package"
mkdir -p "$(dirname "$out")"
tar -czf "$out" -C "$work" package
echo "$out"
