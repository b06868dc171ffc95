"""The private local Ray and connecting to a cluster: starting Ray for a build, ending its processes.

``cluster`` connects to ``address`` (or $RAY_ADDRESS), uses a Ray already initialised in this
process as it is, or else starts a private local Ray (``local_ray``): bound to 127.0.0.1, its
files in a private folder, its token never written to disk, its processes ended by a reaper
however the driver ends. ``data_context`` sets Ray Data up for one build (and puts it back after)
and ``cluster_cpus`` sizes the actor pools.
"""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)

# Run by the reaper, a plain Python process (stdlib only) the driver starts before a local Ray:
# it waits for EOF on its stdin, which comes when the driver ends in any way (returned, raised,
# SIGTERM, SIGKILL), then ends every process carrying the run's marker in its environment (the
# Ray processes inherit it: GCS, raylet, agents, workers) or holding a file open in the run's
# private folder (Ray's agents retitle themselves, which overwrites /proc/PID/environ), and
# removes that folder. The driver itself, alive after a normal end, is never one of them.
# Ray's own agents outlive a killed driver by ~60 s (they report the raylet's death to the dead
# GCS with a 60 s timeout before exiting); the reaper does not wait for them.
REAPER = r"""
import os, shutil, signal, sys, time
marker, root, driver = sys.argv[1].encode(), sys.argv[2], int(sys.argv[3])
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
sys.stdin.buffer.read()
def ours():
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) in (os.getpid(), driver):
            continue
        try:
            with open(f"/proc/{d}/environ", "rb") as fh:
                if marker in fh.read().split(b"\0"):
                    found.append(int(d))
                    continue
            for fd in os.listdir(f"/proc/{d}/fd"):
                if os.readlink(f"/proc/{d}/fd/{fd}").startswith(root + "/"):
                    found.append(int(d))
                    break
        except OSError:
            pass
    return found
start = time.monotonic()
while time.monotonic() - start < 30:
    pids = ours()
    if not pids:
        break
    sig = signal.SIGTERM if time.monotonic() - start < 0.5 else signal.SIGKILL
    for pid in pids:
        try:
            os.kill(pid, sig)
        except OSError:
            pass
    time.sleep(0.1)
shutil.rmtree(root, ignore_errors=True)
"""
MARKER = "CORPUS_RAY_RUN"  # environment variable naming the local Ray's processes for the reaper
LOOPBACK = "127.0.0.1"


@contextmanager
def _patched_env(changes: dict[str, str]) -> Iterator[None]:
    """``changes`` in os.environ (what Ray's child processes inherit), restored on the way out."""
    before = {name: os.environ.get(name) for name in changes}
    os.environ.update(changes)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        _reload_ray_config()


def _reload_ray_config() -> None:
    """Ray reads RAY_AUTH_MODE once per process; read it again (as ``ray.init`` itself does)."""
    from ray._raylet import AuthenticationTokenLoader, Config

    Config.initialize("")
    AuthenticationTokenLoader.instance().reset_cache()


@contextmanager
def local_ray(**options: Any) -> Iterator[None]:
    """A private local Ray for one build: bound to 127.0.0.1, owner-only files, no process left after.

    Ray 2.60 rewrites a node address of 127.0.0.1 into the machine's outward address (and its
    servers then listen on every interface) unless cluster mode is off, so it is turned off for
    this start. Its session lives in a fresh 0700 folder (Ray makes its own subfolders
    world-writable), created under umask 077, and the cluster's auth token is a per-build secret
    passed in the environment (Ray would write a world-readable ``~/.ray/auth_token``). A reaper
    process (``REAPER``) ends Ray's processes however the driver ends. ``options`` go to ``ray.init``.
    """
    import ray
    import ray._private.ray_constants as ray_constants

    root = tempfile.mkdtemp(prefix="corpus-ray-")  # mode 0700
    marker = f"{MARKER}={secrets.token_hex(16)}"
    reaper = subprocess.Popen(
        [sys.executable, "-c", REAPER, marker, root, str(os.getpid())],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C at the terminal stops the build, not the clean-up
        env={k: v for k, v in os.environ.items() if k != MARKER},
    )
    env = {MARKER: marker.split("=", 1)[1], "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
    if not os.environ.get("RAY_AUTH_TOKEN") and not os.environ.get("RAY_AUTH_TOKEN_PATH"):
        env |= {
            "RAY_AUTH_MODE": os.environ.get("RAY_AUTH_MODE", "token"),
            "RAY_AUTH_TOKEN": secrets.token_hex(32),
        }
    cluster_mode = ray_constants.ENABLE_RAY_CLUSTER
    try:
        with _patched_env(env):
            _reload_ray_config()
            umask = os.umask(0o077)
            ray_constants.ENABLE_RAY_CLUSTER = False  # read by ray.init in this process, at call time
            try:
                ray.init(
                    _node_ip_address=LOOPBACK,
                    _temp_dir=os.path.join(root, "ray"),
                    include_dashboard=False,
                    dashboard_host=LOOPBACK,
                    logging_level=logging.WARNING,
                    **options,
                )
            finally:
                os.umask(umask)
                ray_constants.ENABLE_RAY_CLUSTER = cluster_mode
            try:
                yield
            finally:
                ray.shutdown()
    finally:
        reaper.stdin.close()  # the reaper's cue, as the driver's death would be
        try:
            reaper.wait(timeout=30)
        except subprocess.TimeoutExpired:
            log.warning("engine ray: the local Ray's clean-up is still running (pid %d)", reaper.pid)


@contextmanager
def cluster(address: str | None = None, num_cpus: int | None = None) -> Iterator[bool]:
    """Ray for a build: ``address`` (or $RAY_ADDRESS), else a private local Ray (``local_ray``)
    offering ``num_cpus`` CPUs (default: every core).

    Yields True if this call started Ray, which it then stops; a Ray already initialised in this
    process is used as it is.
    """
    import ray

    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    if ray.is_initialized():
        yield False
    elif address or os.environ.get("RAY_ADDRESS"):
        ray.init(address=address, logging_level=logging.WARNING)
        try:
            yield True
        finally:
            ray.shutdown()
    else:
        with local_ray(**({"num_cpus": num_cpus} if num_cpus else {})):
            yield True


@contextmanager
def data_context() -> Iterator[Any]:
    """Ray Data set up for one build, and put back as it was after: summaries in any order, no
    progress bars of Ray's, sort-based shuffles. Each dataset keeps the context it was made in.

    Sort-based shuffles are tasks only; Ray's default hash shuffle holds aggregator actors, 5x
    slower here (2 cores) and starved on 1 CPU. $CORPUS_RAY_SHUFFLE picks another strategy.
    """
    from ray.data import DataContext
    from ray.data.context import ShuffleStrategy

    before = DataContext.get_current()
    ctx = before.copy()
    ctx.execution_options.preserve_order = False
    ctx.enable_progress_bars = False
    # a task's own exception (a BuildError naming a file) comes back as itself, not wrapped in
    # Ray Data's UserCodeException, whose cause does not survive pickling
    ctx.raise_original_map_exception = True
    ctx.print_on_execution_start = False
    ctx.shuffle_strategy = ShuffleStrategy(os.environ.get("CORPUS_RAY_SHUFFLE", "sort_shuffle_pull_based"))
    # A failed task comes back to the build as its exception (a BuildError stops the build with
    # its message); Ray Data's own ERROR lines would print the same failure again, as a traceback.
    data_log = logging.getLogger("ray.data")
    level = data_log.level
    data_log.setLevel(logging.CRITICAL)
    DataContext._set_current(ctx)
    try:
        yield ctx
    finally:
        DataContext._set_current(before)
        data_log.setLevel(level)


def cluster_cpus() -> int:
    """The CPUs the cluster offers (at least 1)."""
    import ray

    return max(1, int(ray.cluster_resources().get("CPU", 1)))
