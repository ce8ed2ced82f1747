#!/usr/bin/python3
"""The peer of taskactors-bench: the Python asyncio/AnyIO task manager the library succeeds.

A TaskGroup, three CapacityLimiters (global, thread, process), a CancelScope per task, fail_after
for timeouts, to_thread and to_process for blocking and CPU-bound work: the seed system's design.
Runs one workload and prints one JSON object per line with the same keys as taskactors-bench.

The workloads that measure the manager (hold, models, cancel, proc-rt, cpu) go through
TaskManager; spawn, gather-io and timeout are written the way a lean AnyIO program writes them
(a task group, start_soon, fail_after), with nothing per task that such a program would not have.

    /usr/bin/python3 anyio_peer.py --workload spawn --n 100000
"""

import argparse
import json
import math
import os
import sys
import time

import anyio
import anyio.to_process
import anyio.to_thread


def cpu_count():
    return os.cpu_count() or 1


class TaskManager:
    """The seed system's manager: admission, quotas, cancel scopes, timeouts, statuses."""

    def __init__(self, tg, global_quota=None, thread_quota=None, process_quota=None):
        cpu = cpu_count()
        g = global_quota or min(max(32, 4 * cpu), 256)
        self.tg = tg
        self.global_limiter = anyio.CapacityLimiter(g)
        self.thread_limiter = anyio.CapacityLimiter(thread_quota or min(max(16, 2 * g // 3), 128))
        self.process_limiter = anyio.CapacityLimiter(process_quota or max(1, min(cpu, 8)))
        self.scopes = {}
        self.status = {}
        self.done = {}

    def add_task(self, task_id, fn, *args, timeout=None):
        self.status[task_id] = "pending"
        self.done[task_id] = anyio.Event()
        self.tg.start_soon(self._run, task_id, fn, args, timeout)

    async def _run(self, task_id, fn, args, timeout):
        with anyio.CancelScope() as scope:
            self.scopes[task_id] = scope
            try:
                async with self.global_limiter:
                    self.status[task_id] = "running"
                    if timeout is None:
                        await fn(*args)
                    else:
                        with anyio.fail_after(timeout):
                            await fn(*args)
                self.status[task_id] = "completed"
            except TimeoutError:
                self.status[task_id] = "timeout"
            except Exception:
                self.status[task_id] = "failed"
        if scope.cancel_called and self.status[task_id] == "running":
            self.status[task_id] = "cancelled"
        self.scopes.pop(task_id, None)
        self.done[task_id].set()

    def cancel_task(self, task_id):
        scope = self.scopes.get(task_id)
        if scope is not None:
            scope.cancel()

    # The quotas are the limiters to_process and to_thread take themselves: one acquisition per
    # call, not the manager's and then AnyIO's default one.
    async def run_in_process(self, fn, *args):
        return await anyio.to_process.run_sync(fn, *args, cancellable=True,
                                               limiter=self.process_limiter)

    async def run_in_thread(self, fn, *args):
        return await anyio.to_thread.run_sync(fn, *args, cancellable=True,
                                              limiter=self.thread_limiter)

    async def start_workers(self):
        """Starts as many worker processes as the process quota (ours prespawns that many)."""
        async with anyio.create_task_group() as tg:
            for _ in range(int(self.process_limiter.total_tokens)):
                # Each call holds its worker a moment, so that none is reused by another.
                tg.start_soon(self.run_in_process, time.sleep, 0.05)


def rss_kb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def emit(workload, n, **figures):
    print(json.dumps({"workload": workload, "system": "python-anyio", "n": n, **figures}),
          flush=True)


def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * (len(xs) - 1) + 0.5))]


def noop():
    return None


def cpu_job(iterations):
    acc = 0.0
    for i in range(iterations):
        acc += math.sin(i * 0.001)
    return acc


async def spawn(n):
    async def trivial():
        pass

    start = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for _ in range(n):
            tg.start_soon(trivial)
    seconds = time.perf_counter() - start
    emit("spawn", n, seconds=seconds, tasks_per_s=n / seconds)


async def hold(n, workload="hold"):
    release = anyio.Event()

    async def wait():
        await release.wait()

    before = rss_kb()
    start = time.perf_counter()
    async with anyio.create_task_group() as tg:
        tm = TaskManager(tg, global_quota=n)
        for i in range(n):
            tm.add_task(i, wait)
        # Tasks start in order: every one waits once the last one runs.
        while tm.status[n - 1] == "pending":
            await anyio.sleep(0)
        create_s = time.perf_counter() - start
        after = rss_kb()
        release.set()
    kb = (after - before) / n
    if workload == "hold":
        emit("hold", n, create_s=create_s, kb_per_task=kb)
    else:
        emit("models", n, create_s=create_s, rss_mb=(after - before) / 1024)


async def gather_io(n):
    # n inputs, 256 at a time, each result in its place: 256 tasks that take the next input.
    results = [None] * n
    inputs = iter(range(n))

    async def worker():
        for i in inputs:
            await anyio.sleep(0.1)
            results[i] = i

    start = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for _ in range(min(n, 256)):
            tg.start_soon(worker)
    seconds = time.perf_counter() - start
    ideal = math.ceil(n / 256) * 0.1
    emit("gather-io", n, seconds=seconds, ideal_s=ideal, efficiency=ideal / seconds)


async def cancel(n):
    samples = []
    async with anyio.create_task_group() as tg:
        tm = TaskManager(tg)
        for i in range(n):
            tm.add_task(i, anyio.sleep_forever)
            while tm.status[i] != "running":
                await anyio.sleep(0)
            start = time.perf_counter()
            tm.cancel_task(i)
            await tm.done[i].wait()
            samples.append((time.perf_counter() - start) * 1e6)
    emit("cancel", n, p50_us=percentile(samples, 0.5), p99_us=percentile(samples, 0.99))


async def timeout(n):
    # n tasks at once (our quota is raised to n), each a 10 s wait under a 50 ms fail_after; the
    # figure is how late each task sees its TimeoutError, from the scope's deadline.
    samples = []

    async def one():
        try:
            with anyio.fail_after(0.05) as scope:
                await anyio.sleep(10)
        except TimeoutError:
            samples.append((anyio.current_time() - scope.deadline) * 1e3)

    async with anyio.create_task_group() as tg:
        for _ in range(n):
            tg.start_soon(one)
    if len(samples) != n:
        print(f"timeout: {n - len(samples)} tasks did not time out", file=sys.stderr)
    emit("timeout", n, p50_ms=percentile(samples, 0.5), p99_ms=percentile(samples, 0.99))


async def proc_rt(n):
    samples = []
    async with anyio.create_task_group() as tg:
        tm = TaskManager(tg)
        await tm.start_workers()
        for _ in range(n):
            start = time.perf_counter()
            await tm.run_in_process(noop)
            samples.append((time.perf_counter() - start) * 1e6)
    emit("proc-rt", n, p50_us=percentile(samples, 0.5), p99_us=percentile(samples, 0.99))


async def cpu(n, iterations):
    start = time.perf_counter()
    for _ in range(n):
        cpu_job(iterations)
    serial = time.perf_counter() - start
    async with anyio.create_task_group() as tg:
        tm = TaskManager(tg)
        await tm.start_workers()
        start = time.perf_counter()
        async with anyio.create_task_group() as jobs:
            for _ in range(n):
                jobs.start_soon(tm.run_in_process, cpu_job, iterations)
        seconds = time.perf_counter() - start
    cores = min(cpu_count(), n, tm.process_limiter.total_tokens)
    speedup = serial / seconds
    emit("cpu", n, seconds=seconds, speedup=speedup, efficiency=speedup / cores, cores=cores)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--workload", required=True)
    p.add_argument("--n", type=int, default=0)
    p.add_argument("--cpu-iterations", type=int, default=3_000_000)
    a = p.parse_args()
    w = a.workload
    if w == "spawn":
        anyio.run(spawn, a.n or 100_000)
    elif w == "hold":
        anyio.run(hold, a.n or 100_000)
    elif w == "models":
        anyio.run(hold, a.n, "models")
    elif w == "gather-io":
        anyio.run(gather_io, a.n or 10_000)
    elif w == "cancel":
        anyio.run(cancel, a.n or 1_000)
    elif w == "timeout":
        anyio.run(timeout, a.n or 300)
    elif w == "proc-rt":
        anyio.run(proc_rt, a.n or 2_000)
    elif w == "cpu":
        anyio.run(cpu, a.n or 8, a.cpu_iterations)
    else:
        print(f"anyio_peer: no workload '{w}'", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
