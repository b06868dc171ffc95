"""Helpers shared by the benchmarks: where their files live, and a command's wall time, CPU time, peak memory.

``run_measured(cmd)`` runs a command in a subprocess and, until it ends, samples every 50 ms
the memory of its whole process tree from /proc (Linux): the sum of RSS, as ``ps`` shows it,
and, near the peak, the sum of PSS, which counts a page shared by several processes once.
CPU time is the user + system time of every process the command started, summed: this
process makes itself a child subreaper (``PR_SET_CHILD_SUBREAPER``), so a grandchild whose
parent exits without waiting for it (a multiprocessing forkserver, a pool worker) is handed
to us and reaped here, with its CPU time. CPU seconds are what one core spends, so docs per
CPU-second is a per-core figure that other load on the machine does not distort; wall time
is what a user waits, and it does.
"""

from __future__ import annotations

import ctypes
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "bench"  # every bench writes under build/bench (never into ../shared)
SHARED_BENCH = ROOT.parent / "shared" / "bench"  # the team's bench data, read where it lies
PEER_PYTHON = ROOT / "build" / "bench-venv" / "bin" / "python"  # `make bench` makes this venv

PR_SET_CHILD_SUBREAPER = 36
SAMPLE_SECONDS = 0.05
PAGE = os.sysconf("SC_PAGE_SIZE")


def children_of(pid: int) -> list[int]:
    """Child pids of every thread of ``pid`` (Linux /proc)."""
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(c) for c in f.read().split()]
    except (OSError, ValueError):
        pass
    return out


def tree_pids(pid: int) -> list[int]:
    """A process and all its descendants (Linux /proc)."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo += children_of(p)
    return pids


def _status_kb(pid: int, key: str, name: str = "status") -> int:
    try:
        with open(f"/proc/{pid}/{name}") as f:
            return next((int(x.split()[1]) * 1024 for x in f if x.startswith(key)), 0)
    except (OSError, ValueError):
        return 0


def rss_of_tree(pid: int) -> int:
    """Resident bytes of a process and all its descendants (Linux /proc)."""
    return sum(_status_kb(p, "VmRSS:") for p in tree_pids(pid))


def self_rss() -> int:
    """Resident bytes of this process and its descendants."""
    return rss_of_tree(os.getpid())


def rss_each(pids: list[int]) -> list[int]:
    """Resident bytes of each process (from /proc/PID/statm: cheap enough to sample often)."""
    out = []
    for p in pids:
        try:
            with open(f"/proc/{p}/statm") as f:
                out.append(int(f.read().split()[1]) * PAGE)
        except (OSError, ValueError, IndexError):
            out.append(0)
    return out


def pss_of(pids: list[int]) -> int:
    """Proportional set size of these processes: a page shared by k of them counts 1/k (costly)."""
    return sum(_status_kb(p, "Pss:", "smaps_rollup") for p in pids)


@dataclass
class Measured:
    """What ``run_measured`` saw of one command."""

    returncode: int
    wall: float  # seconds, from start to the command's exit
    cpu: float  # user + system seconds of the command and every descendant
    peak_rss: int  # bytes, the largest sum of RSS over the process tree seen
    peak_pss: int  # bytes, the largest sum of PSS over the process tree seen
    peak_one: int  # bytes, the largest RSS of any single process of the tree
    stderr: str


def become_subreaper() -> bool:
    """Make orphaned descendants our children (Linux >= 3.4), so their CPU time is counted."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def run_measured(
    cmd: list[str],
    *,
    cwd: str | None = None,
    env: dict[str, str] | None = None,
    stderr_path: str | None = None,
    stdout_path: str | None = None,
    timeout: float | None = None,
) -> Measured:
    """Run ``cmd``; wall, CPU of the whole tree (orphans included) and peak RSS/PSS of the tree.

    Must not run concurrently with other children of this process: it reaps any child.
    """
    become_subreaper()
    # stderr to a file, never a pipe: a chatty tool (datatrove logs) would fill a pipe and block.
    err = open(stderr_path, "w+") if stderr_path else tempfile.TemporaryFile("w+")
    started = time.perf_counter()
    out = open(stdout_path, "w") if stdout_path else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err, text=True)
    cpu = 0.0
    peak_rss = peak_pss = peak_one = 0
    status = None
    ended = None
    while True:
        # Reap whatever ended: the command itself or an orphan handed to us.
        while True:
            try:
                pid, st, ru = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                pid = -1
            if pid <= 0:
                break
            cpu += ru.ru_utime + ru.ru_stime
            if pid == proc.pid:
                status, ended = st, time.perf_counter()
        live = [p for c in children_of(os.getpid()) for p in tree_pids(c)]
        if status is not None and not live:
            break
        if status is not None and time.perf_counter() - ended > 30:
            break  # a stray descendant outlives the command; its CPU is not counted
        if timeout is not None and time.perf_counter() - started > timeout:
            for p in live:
                try:
                    os.kill(p, 9)
                except OSError:
                    pass
        if live:
            each = rss_each(live)
            rss = sum(each)
            if rss >= 0.95 * peak_rss:  # PSS costs a walk of every mapping: only near the peak
                peak_pss = max(peak_pss, pss_of(live))
            peak_rss, peak_one = max(peak_rss, rss), max(peak_one, max(each))
        time.sleep(SAMPLE_SECONDS)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err.seek(0)
    text = err.read()
    err.close()
    if stdout_path:
        out.close()
    return Measured(proc.returncode, ended - started, cpu, peak_rss, peak_pss, peak_one, text)


def median_run(runs: list[dict[str, Any]], key: str = "wall") -> dict[str, Any]:
    """The run with the median ``key`` (the lower middle one of an even count)."""
    ordered = sorted(runs, key=lambda r: r[key])
    return ordered[(len(ordered) - 1) // 2]


def median(values: list[float]) -> float:
    """The median, NaN for no values (a figure never measured)."""
    return statistics.median(values) if values else float("nan")


def fit_line(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares intercept and slope (time and memory at sizes never run are read off it)."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0
    return my - slope * mx, slope


def rel(path: Path) -> str:
    """A path relative to the repo root (configs and logs never carry machine paths)."""
    return os.path.relpath(path, ROOT)


def log(msg: str) -> None:
    """Progress to stderr, so stdout holds only the report."""
    print(msg, file=sys.stderr, flush=True)


def module_command(python: str, module: str, *args: str) -> list[str]:
    """``python -m module args``: a bench's worker in a subprocess, run with cwd = the repo root."""
    return [python, "-m", module, *args]
