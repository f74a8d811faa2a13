# Sourced by the package checks, with $root set to the checkout: $system_node is the machine's own
# Node (20 on our machines), even when the caller already put the toolchain's Node 24 on PATH; then
# the toolchain (Deno, Bun, Node 24, tsc) goes first on PATH.
system_node=$(PATH=$(tr ':' '\n' <<<"$PATH" | grep -vxF "$root/node_modules/.bin" | paste -sd:) &&
  command -v node)
export PATH="$root/node_modules/.bin:$PATH"
