#!/usr/bin/env bash
# Installs what the test suite needs: Deno, Bun and Node 24 from npm, and — where this is root with
# apt — the system packages for the HPC, browser and graph tests (Slurm, munge, MPICH, Chromium,
# Graphviz, a C compiler), then starts the single-node Slurm cluster. Without root or apt those
# tests skip with a visible reason.
set -euo pipefail
cd "$(dirname "$0")/.."

# esbuild bundles the package for the browser tests; miniflare (with workerd) runs the workerd tests.
if [ ! -x node_modules/.bin/deno ] || [ ! -x node_modules/.bin/bun ] || [ ! -x node_modules/.bin/node ] ||
  [ ! -x node_modules/.bin/esbuild ] || [ ! -f node_modules/miniflare/package.json ]; then
  echo "setup: npm install: Deno, Bun, Node 24, esbuild and miniflare into node_modules (nothing outside the clone)"
  npm install --no-audit --no-fund
fi

packages=()
command -v slurmctld >/dev/null || [ -x /usr/sbin/slurmctld ] || packages+=(slurm-wlm)
command -v munged >/dev/null || [ -x /usr/sbin/munged ] || packages+=(munge)
command -v mpicc >/dev/null || packages+=(mpich libmpich-dev)
command -v chromium >/dev/null || packages+=(chromium)
command -v dot >/dev/null || packages+=(graphviz)
# A C compiler builds the compiled command launcher (src/host/compiled_launcher.ts), whose tests
# and benchmark need it; without one, commands go through the Perl launcher.
command -v cc >/dev/null || packages+=(gcc libc6-dev)
if [ ${#packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian packages for the HPC and report tests (apt-get, as root): ${packages[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null &&
      apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null ||
      echo "setup: WARNING: apt-get install failed; the Slurm and browser tests will skip"
  else
    echo "setup: WARNING: not root or no apt-get; missing ${packages[*]}: their tests will skip"
  fi
fi

bash scripts/slurm/setup.sh
bash scripts/slurm/multinode/start.sh
