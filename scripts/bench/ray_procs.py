"""Process accounting for the Ray scaling bench (Linux /proc), and a two-node Ray on this host.

``run_accounted(cmd)`` runs one ``corpus build`` and returns, besides its wall time:

- ``cpu_total``: user + system seconds of every process of the run. This process is a child
  subreaper (``common.become_subreaper``), so each process the driver starts (the private local
  Ray's GCS, raylet, agents and workers, the engine's reaper), even one orphaned along the way,
  is reaped here or by an ancestor that is, and its CPU lands in our RUSAGE_CHILDREN, exactly;
  except the children of a process that ignores SIGCHLD (Ray's raylet does: its workers and
  agents are reaped by the kernel and their CPU is dropped): for those, the last polled /proc
  figure (own + reaped children's) is added. Processes of a cluster started beforehand
  (``Nodes``) are not the run's children; the delta of their polled figures is added.
- ``cpu_polled``: a cross-check, /proc polled every ~0.2 s: the last user + system seconds of each
  process that descends from the driver or carries the engine's marker ``CORPUS_RAY_RUN`` in its
  environment (a process's last < 0.2 s is missed, and short-lived ones may be): <= ``cpu_total``.
- ``driver_cpu``: the driver's own seconds (not its children's), read from /proc/PID/stat once
  it has exited but before it is reaped (``waitid(..., WNOWAIT)``), so nothing is missed.
- ``driver_peak``: the driver's VmHWM (peak RSS), polled every 50 ms while it lives (HWM only
  grows, so the last reading is the peak unless it grew in its last 50 ms).
- ``groups``: with ``Nodes``, polled CPU of each node's worker processes (those under its raylet)
  and of the rest of each raylet's subtree, over the run.

``Nodes`` starts ``ray start`` head and worker nodes on 127.0.0.1, each with its own temp dir
and ports, and ends them by pid (never ``ray stop``, which ends every Ray process of the user on
the machine, another session's included).
"""

from __future__ import annotations

import os
import re
import resource
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from scripts.bench.common import become_subreaper, children_of, tree_pids

CLK = os.sysconf("SC_CLK_TCK")
MARKER = "CORPUS_RAY_RUN"
FAST, SLOW = 0.05, 0.2  # seconds between driver-memory reads and between process-table scans


@dataclass
class Stat:
    """One /proc/PID/stat reading: parent, own and reaped-children CPU seconds, start tick, name."""

    ppid: int
    cpu: float
    children_cpu: float
    start: int
    comm: str


def read_stat(pid: int) -> Stat | None:
    """/proc/PID/stat parsed (the name may hold spaces and parentheses: split at the last ')')."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    head, _, rest = data.rpartition(")")
    f = rest.split()
    return Stat(
        ppid=int(f[1]),
        cpu=(int(f[11]) + int(f[12])) / CLK,
        children_cpu=(int(f[13]) + int(f[14])) / CLK,
        start=int(f[19]),
        comm=head.partition("(")[2],
    )


def status_kb(pid: int, key: str) -> int:
    """A ``kB`` line of /proc/PID/status (VmHWM:, VmRSS:), in kB; 0 if gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return next((int(x.split()[1]) for x in f if x.startswith(key)), 0)
    except (OSError, ValueError):
        return 0


def ignores_sigchld(pid: int) -> bool:
    """Whether the process ignores SIGCHLD (its exited children are reaped by the kernel, their CPU lost)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            mask = next((int(x.split()[1], 16) for x in f if x.startswith("SigIgn:")), 0)
    except (OSError, ValueError):
        return False
    return bool(mask & (1 << (signal.SIGCHLD - 1)))


def env_value(pid: int, name: str) -> str | None:
    """The value of ``name`` in the process's environment (as it started); None if unset or unreadable."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            for e in f.read().split(b"\0"):
                if e.startswith(name.encode() + b"="):
                    return e.partition(b"=")[2].decode("utf-8", "replace")
    except OSError:
        pass
    return None


def cmdline(pid: int) -> str:
    """The process's command line, arguments joined by spaces ('' if gone)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return ""


def is_worker(pid: int, comm: str) -> bool:
    """A Ray worker process: retitled ``ray::…`` (the agents excepted), or default_worker.py before that."""
    cmd = cmdline(pid)
    if cmd.startswith("ray::"):
        return not cmd.split()[0].endswith("Agent")
    return comm != "raylet" and cmd.split()[1:2] != [] and cmd.split()[1].endswith("default_worker.py")


def all_pids() -> list[int]:
    """Every pid in /proc."""
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


@dataclass
class Accounted:
    """What ``run_accounted`` measured of one command."""

    returncode: int
    wall: float
    cpu_total: float
    cpu_polled: float
    driver_cpu: float
    driver_peak: int  # bytes
    groups: dict[str, float] = field(default_factory=dict)
    strays: list[int] = field(default_factory=list)  # run processes still alive after the grace time


def run_accounted(
    cmd: list[str],
    *,
    env: dict[str, str],
    cwd: str,
    log_path: Path,
    nodes: Nodes | None = None,
    grace: float = 40.0,
) -> Accounted:
    """Run ``cmd`` (stdout and stderr to ``log_path``), accounting as the module docstring says.

    Must not run concurrently with other children of this process (except ``nodes``' processes).
    """
    become_subreaper()
    me = os.getpid()
    keep = nodes.pids() if nodes else set()  # a cluster's processes: ours, alive before and after
    base = {p: s for p in keep if (s := read_stat(p))}
    seen: dict[int, Stat] = {}  # pid -> last reading, for every process of the run or the cluster
    other: set[tuple[int, int]] = set()  # (pid, start) of processes found not to be the run's
    marker: list[str] = []  # the run's CORPUS_RAY_RUN value, once a descendant shows it
    lost: set[int] = set()  # run processes whose parent ignores SIGCHLD (the raylet): not in RUSAGE_CHILDREN
    reaped: set[int] = set()  # processes reaped here (in RUSAGE_CHILDREN, whoever their parent was)
    ignoring: dict[tuple[int, int], bool] = {}  # (pid, start) -> ignores SIGCHLD
    workers: set[int] = set()  # cluster processes seen as Ray workers (told while alive: by their title)
    t0 = time.monotonic()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(log_path, "w") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    driver, run = proc.pid, {proc.pid}
    driver_cpu, hwm, status, ended, scanned = 0.0, 0, None, None, 0.0

    def scan() -> None:
        for p in all_pids():
            s = read_stat(p)
            if s is None or p == me:
                continue
            ours = p in run or s.ppid in run or (s.ppid == me and p not in keep)
            if not ours and marker and p not in keep and s.ppid not in keep and (p, s.start) not in other:
                # not a descendant (cannot happen while we are its subreaper): the run's marker value
                ours = env_value(p, MARKER) == marker[0]
                if not ours:
                    other.add((p, s.start))
            if ours:
                if not marker and p != driver and (v := env_value(p, MARKER)):
                    marker.append(v)
                run.add(p)
                parent = seen.get(s.ppid) or read_stat(s.ppid)
                if parent and s.ppid != me:
                    key = (s.ppid, parent.start)
                    if not ignoring.get(key):
                        ignoring[key] = ignores_sigchld(s.ppid)
                    if ignoring[key]:
                        lost.add(p)
            elif p in keep or s.ppid in keep:
                keep.add(p)
                if p not in workers and is_worker(p, s.comm):
                    workers.add(p)
            else:
                continue
            seen[p] = s

    while True:
        now = time.monotonic()
        if status is None:
            hwm = max(hwm, status_kb(driver, "VmHWM:"))
            if os.waitid(os.P_PID, driver, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                ended = time.perf_counter()
                last = read_stat(driver)  # a zombie: its own CPU is final and still readable
                driver_cpu = last.cpu if last else seen.get(driver, Stat(0, 0.0, 0.0, 0, "")).cpu
                scan()
                _, status, _ = os.wait4(driver, 0)
        if now - scanned >= SLOW:
            scan()
            scanned = now
        for c in children_of(me):  # orphans handed to us: reap them (their CPU joins RUSAGE_CHILDREN)
            if c != driver and c not in keep:
                try:
                    if os.wait4(c, os.WNOHANG)[0] == c:
                        reaped.add(c)
                except ChildProcessError:
                    pass
        if status is not None:
            live = [p for c in children_of(me) if c not in keep for p in tree_pids(c)]
            if not live or time.monotonic() - t0 > (ended - started) + grace:
                break
        time.sleep(FAST)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_total = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    # Processes auto-reaped by a parent ignoring SIGCHLD (Ray's raylet does, for its workers and
    # agents) never reach RUSAGE_CHILDREN: their last polled CPU (own and reaped children's) is added.
    cpu_total += sum(seen[p].cpu + seen[p].children_cpu for p in lost - reaped)
    cpu_polled = sum(s.cpu for p, s in seen.items() if p in run)
    groups: dict[str, float] = {}
    if nodes:
        scan()
        for p in keep:
            s = seen.get(p)
            if s is None:
                continue
            b = base.get(p)
            delta = s.cpu - (b.cpu if b and b.start == s.start else 0.0)
            label = nodes.node_of(p, seen)
            kind = "workers" if p in workers else "raylet+agents"
            name = f"{label} {kind}" if label else "cluster (GCS, monitors)"
            groups[name] = groups.get(name, 0.0) + delta
        cpu_total += sum(groups.values())
    return Accounted(
        returncode=os.waitstatus_to_exitcode(status),
        wall=ended - started,
        cpu_total=cpu_total,
        cpu_polled=cpu_polled,
        driver_cpu=driver_cpu,
        driver_peak=hwm * 1024,
        groups=groups,
        strays=live,
    )


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nodes:
    """``count`` Ray nodes of ``cpus`` CPUs each on 127.0.0.1 (``ray start``), ended by pid.

    Use as a context manager; ``client_env`` is what a driver needs to use the cluster: $RAY_ADDRESS
    (the head's GCS) and the cluster's auth token. Ray 2.60 turns token auth on for a head that
    finds ~/.ray/auth_token; every node and the driver get a fresh token of this cluster in
    $RAY_AUTH_TOKEN instead (the file is neither read nor written). Ray also rewrites a node
    address of 127.0.0.1 into the machine's outward address when multi-node is on (it must be,
    for a second node): the nodes listen there; the address used is the one the head reports.
    """

    def __init__(self, ray: str, root: Path, env: dict[str, str], count: int = 2, cpus: int = 1) -> None:
        self.auth = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
        self.ray, self.root, self.env, self.count, self.cpus = ray, root, env | self.auth, count, cpus
        self.raylets: dict[int, str] = {}  # raylet pid -> node label
        self._pids: set[int] = set()
        self.address = ""

    def _start(self, i: int, head: bool, port: int) -> None:
        temp = self.root / f"n{i}"
        temp.mkdir(parents=True, exist_ok=True)
        span = 2000  # worker ports of each node in a range of its own (two raylets share the host)
        cmd = [self.ray, "start", "--node-ip-address=127.0.0.1", f"--num-cpus={self.cpus}"]
        cmd += (
            ["--head", f"--port={port}", "--include-dashboard=false"]
            if head
            else [f"--address={self.address}"]
        )
        cmd += [
            f"--temp-dir={temp}",
            "--disable-usage-stats",
            f"--object-store-memory={400 << 20}",
            f"--node-manager-port={free_port()}",
            f"--object-manager-port={free_port()}",
            f"--metrics-export-port={free_port()}",
            f"--dashboard-agent-listen-port={free_port()}",
            f"--dashboard-agent-grpc-port={free_port()}",
            f"--runtime-env-agent-port={free_port()}",
            f"--min-worker-port={20000 + i * span}",
            f"--max-worker-port={20000 + (i + 1) * span - 1}",
        ]
        log = self.root / f"n{i}-start.log"
        with open(log, "w") as out:
            rc = subprocess.run(
                cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT, timeout=120
            ).returncode
        self._collect()
        if rc != 0:
            raise RuntimeError(f"ray start (node {i}) failed, see {log}")
        if head:
            found = re.search(r"Local node IP: (\S+)", log.read_text())
            self.address = f"{found.group(1) if found else '127.0.0.1'}:{port}"
        for p in self._pids:
            s = read_stat(p)
            if s and s.comm == "raylet" and p not in self.raylets and str(temp) in cmdline(p):
                self.raylets[p] = "head" if head else f"node{i}"

    def _collect(self) -> None:
        """Every process the ``ray start`` commands left (orphans re-parented to us)."""
        for c in children_of(os.getpid()):
            self._pids.update(tree_pids(c))

    def __enter__(self) -> Nodes:
        become_subreaper()  # the started daemons are re-parented to us: we can end and reap them
        port = free_port()
        try:
            for i in range(self.count):
                self._start(i, i == 0, port)
            if len(self.raylets) != self.count:
                raise RuntimeError(f"found {len(self.raylets)} raylets for {self.count} nodes")
            time.sleep(2)  # the second node registers with the GCS
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def client_env(self) -> dict[str, str]:
        """The environment a driver needs to use this cluster."""
        return {"RAY_ADDRESS": self.address, **self.auth}

    def pids(self) -> set[int]:
        """The cluster's processes now (GCS, raylets, agents, workers: descendants of the starts)."""
        self._collect()
        return set(self._pids)

    def node_of(self, pid: int, seen: dict[int, Stat]) -> str:
        """The label of the raylet ``pid`` runs under ('' if none)."""
        while pid > 1:
            if pid in self.raylets:
                return self.raylets[pid]
            s = seen.get(pid) or read_stat(pid)
            if s is None:
                return ""
            pid = s.ppid
        return ""

    def stop(self) -> None:
        """End every process of the cluster by pid (TERM, then KILL after 10 s) and reap it."""
        me = os.getpid()
        deadline = time.monotonic() + 10
        sig = signal.SIGTERM
        while True:
            self._collect()
            alive = [p for p in self._pids if read_stat(p) is not None]
            for c in children_of(me):
                try:
                    os.wait4(c, os.WNOHANG)
                except ChildProcessError:
                    pass
            alive = [p for p in alive if not _zombie(p)]
            if not alive:
                return
            if time.monotonic() > deadline:
                sig = signal.SIGKILL
            for p in alive:
                try:
                    os.kill(p, sig)
                except OSError:
                    pass
            if time.monotonic() > deadline + 10:
                raise RuntimeError(f"Ray node processes did not end: {alive}")
            time.sleep(0.2)


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rpartition(b")")[2].split()[0] == b"Z"
    except OSError:
        return True
