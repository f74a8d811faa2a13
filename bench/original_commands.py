"""`bench/commands.ts`'s turn for the Python original: radical.asyncflow 0.5 running N `/bin/true`
executable tasks on its default LocalExecutionBackend (a shell each, as it runs them), after 20 to
warm up; prints commands per second.

    python3 bench/original_commands.py <radical.asyncflow checkout>/src N

It needs the checkout's dependencies on the path (typeguard and cloudpickle: Debian's
python3-typeguard and python3-cloudpickle) and, since it is not installed, reads its version from
a dist-info folder made beside its package when there is none.
"""
import asyncio
import os
import sys
import time

src, n = sys.argv[1], int(sys.argv[2])
dist = os.path.join(src, "radical.asyncflow-0.5.0.dist-info")
if not os.path.isdir(dist):
    os.makedirs(dist)
    with open(os.path.join(dist, "METADATA"), "w") as f:
        f.write("Metadata-Version: 2.1\nName: radical.asyncflow\nVersion: 0.5.0\n")
sys.path.insert(0, src)
from radical.asyncflow import LocalExecutionBackend, WorkflowEngine  # noqa: E402


async def main():
    flow = await WorkflowEngine.create(backend=await LocalExecutionBackend())

    @flow.executable_task
    async def true():
        return "/bin/true"

    await asyncio.gather(*[true() for _ in range(20)])
    t0 = time.perf_counter()
    await asyncio.gather(*[true() for _ in range(n)])
    print(round(n / (time.perf_counter() - t0)))
    await flow.shutdown()


asyncio.run(main())
