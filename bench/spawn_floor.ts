/**
 * The floor of command starts on this machine: a C loop of `posix_spawn` of `/bin/true`, four at
 * a time, compiled and run where there is a C compiler (`bench/core.ts`, `bench/remote_launcher.ts`).
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";

/**
 * `/bin/true` per second from a C loop of posix_spawn, 4 at a time (best of 2), where the machine
 * has a C compiler; undefined elsewhere.
 */
export function spawnFloor(n: number): number | undefined {
  const dir = mkdtempSync(`${tmpdir()}/asyncflow-floor-`);
  try {
    writeFileSync(`${dir}/floor.c`, FLOOR_C);
    const cc = spawnSync("cc", ["-O2", "-o", `${dir}/floor`, `${dir}/floor.c`]);
    if (cc.status !== 0) return undefined;
    const runs = [0, 1].map(() => Number(spawnSync(`${dir}/floor`, [String(n)]).stdout));
    return Math.max(...runs);
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const FLOOR_C = `#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
extern char **environ;
int main(int argc, char **argv) {
  int n = atoi(argv[1]), started = 0, running = 0, status;
  char *args[] = {"/bin/true", 0};
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  while (started < n || running > 0) {
    for (; running < 4 && started < n; started++, running++) {
      pid_t pid;
      if (posix_spawn(&pid, "/bin/true", 0, 0, args, environ)) return 1;
    }
    if (wait(&status) > 0) running--;
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.0f\\n", n / ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9));
  return 0;
}
`;
