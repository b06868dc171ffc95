"""Issue 13 on engine ray: the local Ray it starts is private and gone after the build (item 12),
no code-carrying format in its work directory (item 10), and its records are accounted for as
the local engine's are (skipped records, surrogates, HF folders, empty documents, unreadable inputs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT

pytest.importorskip("ray", reason="engine ray needs the ray extra: pip install corpus[ray]")

# Runs the real CLI in a fresh process (so it starts its own local Ray) with a hook
# (``corpus.engines.ray.engine.on_event``) that, at the first "block_mapped" event (the map actors
# are up), records the driver's descendants (the Ray processes), their listening TCP sockets and the
# Ray session folder, then ends the driver as asked: "none" (the build goes on), "raise" (a
# BuildError), "SIGTERM" or "SIGKILL".
PROBE = """
import json, os, signal, sys
import ray
import corpus.engines.ray.engine as engine
from corpus.cli import main
from corpus.errors import BuildError
report, action = sys.argv[1], sys.argv[2]

def children():
    kids = {}
    for d in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{d}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            kids.setdefault(int(fields[1]), []).append((int(d), fields[19]))
        except (OSError, IndexError):
            pass
    return kids

def descendants(root):
    kids, found, todo = children(), [], [root]
    while todo:
        for pid, start in kids.get(todo.pop(), []):
            found.append((pid, start))
            todo.append(pid)
    return found

def listening(pids):
    inodes = {}
    for name in ("tcp", "tcp6"):
        with open(f"/proc/net/{name}") as fh:
            for line in list(fh)[1:]:
                f = line.split()
                if f[3] == "0A":
                    inodes[f[9]] = f[1]
    out = []
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                out.append([pid, inodes[target[8:-1]]])
    return out

done = False
def hook(name, n):
    global done
    if name != "block_mapped" or done:
        return
    done = True
    procs = descendants(os.getpid())
    session = ray._private.worker._global_node.get_session_dir_path()
    root = os.path.dirname(os.path.dirname(session))
    modes = {p: os.stat(os.path.join(dp, p)).st_mode & 0o777 for dp, _, fs in os.walk(session) for p in fs}
    with open(report, "w") as fh:
        json.dump({"procs": procs, "listening": listening([p for p, _ in procs] + [os.getpid()]),
                   "session": session, "root_mode": os.stat(root).st_mode & 0o777, "modes": modes}, fh)
    if action == "raise":
        raise BuildError("stopped by the test")
    if action != "none":
        os.kill(os.getpid(), getattr(signal, action))
engine.on_event = hook
sys.exit(main(sys.argv[3:]))
"""


def _alive(pid: int, start: str) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[19] == start and fields[0] != "Z"


def _loopback(hex_address: str) -> bool:
    """An address of /proc/net/tcp{,6} ("0100007F:1F90", 32 hex digits for IPv6) is loopback."""
    host = hex_address.split(":")[0]
    if len(host) == 8:
        return host.endswith("7F")  # 127.x.x.x, little-endian
    # ::1, or ::ffff:127.x.x.x (IPv4-mapped)
    return host == "00000000000000000000000001000000" or (
        host[:24] == "0000000000000000FFFF0000" and host[-2:] == "7F"
    )


def run_probe(tmp_path, action: str) -> tuple[subprocess.CompletedProcess, dict, float]:
    """A sample build with engine ray in a fresh process; its report and when the driver ended."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env |= {"PYTHONPATH": str(ROOT), "HOME": str(home), "RAY_DEDUP_LOGS": "0"}
    report = tmp_path / "report.json"
    args = ["build", "configs/sample.yaml", "--output", str(tmp_path / "out"), "--engine", "ray", "--quiet"]
    # Output to files, not pipes: a Ray process holding a pipe would delay the driver's end as seen here.
    with open(tmp_path / "stdout", "w+") as out, open(tmp_path / "stderr", "w+") as err:
        driver = subprocess.Popen(
            [sys.executable, "-c", PROBE, str(report), action, *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
        )
        code = driver.wait(timeout=300)
        ended = time.monotonic()
        err.seek(0)
        done = subprocess.CompletedProcess(driver.args, code, "", err.read())
    assert report.exists(), done.stderr[-3000:]
    return done, json.loads(report.read_text()), ended


def assert_private_and_gone(tmp_path, found: dict, ended: float, within: float) -> float:
    """Loopback only while it ran; no token file, an owner-only session folder; every process gone."""
    names = {pid for pid, _ in found["procs"]}
    assert len(names) >= 3, found  # gcs_server, raylet, agents, workers
    wide = [(pid, addr) for pid, addr in found["listening"] if not _loopback(addr)]
    assert wide == [], f"Ray sockets listening beyond loopback: {wide}"
    assert found["listening"], "no listening socket seen: the probe is broken"
    root = os.path.dirname(os.path.dirname(found["session"]))
    assert not (tmp_path / "home" / ".ray" / "auth_token").exists()
    while any(_alive(pid, start) for pid, start in found["procs"]):
        left = [pid for pid, start in found["procs"] if _alive(pid, start)]
        assert time.monotonic() - ended < within, f"Ray processes {left} still alive after {within} s"
        time.sleep(0.1)
    waited = time.monotonic() - ended
    assert not os.path.exists(root), f"the local Ray's folder {root} was left behind"
    return waited


# Each of these builds starts a Ray of its own (14-19 s): `make test` keeps the SIGKILL case, which
# checks the same loopback-only, no-token and all-gone promises after the hardest end; make test-all
# runs the others too (this one also checks the session folder's and files' modes).
@pytest.mark.slow
def test_local_ray_is_private_and_gone_after_a_build(tmp_path):
    done, found, ended = run_probe(tmp_path, "none")
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "out" / "manifest.json").exists()
    assert found["root_mode"] == 0o700, oct(found["root_mode"])
    # Files Ray's processes write are owner-only; this driver's own Ray Data logs follow the user's
    # umask, and the 0700 folder above keeps every one of them from other users.
    readable = {n: oct(m) for n, m in found["modes"].items() if m & 0o077 and not n.startswith("ray-data")}
    assert readable == {}, f"files of the Ray session others can read: {readable}"
    assert len(found["modes"]) > 5
    assert_private_and_gone(tmp_path, found, ended, within=3)


# Ray's own SIGTERM handler in the driver exits with status 15.
@pytest.mark.parametrize(
    ("action", "codes", "within"),
    [
        pytest.param("raise", (2,), 3, marks=pytest.mark.slow),
        pytest.param("SIGTERM", (15, -15), 5, marks=pytest.mark.slow),
        ("SIGKILL", (-9,), 10),
    ],
)
def test_local_ray_is_gone_after_a_failed_or_killed_driver(tmp_path, action, codes, within):
    done, found, ended = run_probe(tmp_path, action)
    assert done.returncode in codes, done.stderr[-3000:]
    waited = assert_private_and_gone(tmp_path, found, ended, within)
    print(f"{action}: the last Ray process ended {waited:.1f} s after the driver")
