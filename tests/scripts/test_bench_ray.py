"""The Ray scaling bench's pure helpers (make bench-ray): inputs, commands, medians, report; no Ray."""

from __future__ import annotations

import json
import os
import signal

from scripts.bench import ray_procs
from scripts.bench.ray_scaling import (
    SIZES,
    Spec,
    build_command,
    copy_line,
    render,
    run_env,
    split_sizes,
    summarize,
)


def test_split_sizes_in_order_and_whole():
    assert split_sizes(27_145, 8) == [3394] + [3393] * 7
    assert sum(split_sizes(81_435, 8)) == 81_435
    assert split_sizes(3, 8) == [1, 1, 1, 0, 0, 0, 0, 0]
    assert SIZES == {"9k": 9048, "27k": 27_145, "81k": 81_435}


def test_copies_differ_in_id_and_final_line_only():
    line = json.dumps({"id": "man/a.1", "source": "man", "text": "NAME\n  a - b\n"}) + "\n"
    assert copy_line(line, 1) == line
    two = json.loads(copy_line(line, 2))
    assert two == {"id": "man/a.1~copy2", "source": "man", "text": "NAME\n  a - b\ncopy 2"}
    assert (
        json.loads(copy_line(json.dumps({"id": "x", "text": "no newline"}), 3))["text"]
        == "no newline\ncopy 3"
    )


def test_commands_limit_cpus():
    ray1 = Spec("throughput", "27k", 1, "ray", 1)
    cmd = build_command(ray1, "c.yaml", "out", "env")
    assert cmd[:3] == ["taskset", "-c", "0"] and "--workers" not in cmd and cmd[-5:-3] == ["--engine", "ray"]
    assert json.loads(run_env(ray1, "env")["RAY_OVERRIDE_RESOURCES"]) == {"CPU": 1}
    assert "RAY_OVERRIDE_RESOURCES" not in run_env(ray1, "workers")
    assert build_command(ray1, "c.yaml", "out", "workers")[-2:] == ["--workers", "1"]
    local2 = Spec("throughput", "27k", 8, "local", 2)
    cmd = build_command(local2, "c.yaml", "out", "env")
    assert cmd[:3] == ["taskset", "-c", "0,1"] and cmd[-2:] == ["--workers", "2"]
    assert "RAY_OVERRIDE_RESOURCES" not in run_env(local2, "env")
    nodes = Spec("nodes", "27k", 8, "ray", 2)
    assert build_command(nodes, "c.yaml", "out", "env")[0] != "taskset"


def test_run_env_drops_inherited_ray_settings(monkeypatch):
    monkeypatch.setenv("RAY_ADDRESS", "10.0.0.1:6379")
    monkeypatch.setenv("CORPUS_RAY_RUN", "x")
    env = run_env(Spec("throughput", "9k", 1, "ray", 2), "env")
    assert "RAY_ADDRESS" not in env and "CORPUS_RAY_RUN" not in env


def _run(key, wall, cpu, driver, peak=500e6, shards=("a",)):
    spec = Spec(
        *key.split(":")[:2], int(key.split(":")[2][:-1]), *key.split(":")[3:4], int(key.split(":")[4])
    )
    return {
        "key": key, "section": spec.section, "size": spec.size, "files": spec.files, "engine": spec.engine,
        "cpus": spec.cpus, "docs": spec.docs, "kept": 10, "wall": wall, "cpu_total": cpu,
        "driver_cpu": driver, "driver_peak": peak, "shards": list(shards), "groups": {},
    }  # fmt: skip


def test_summary_medians_and_report():
    runs = [_run("throughput:9k:1f:ray:2", w, 2 * w, w / 2) for w in (10.0, 30.0, 20.0)]
    row = summarize(runs)
    assert row["wall"] == 20.0 and row["runs"] == 3 and row["docs_per_s"] == 9048 / 20
    assert row["docs_per_cpu_s"] == 9048 / 40 and row["driver_share"] == 0.25 and row["same_output"]
    keys = [f"throughput:9k:{f}f:{e}:{c}" for f in (1, 8) for e in ("ray", "local") for c in (1, 2)]
    all_runs = {k: [_run(k, 10.0 if k.endswith("2") else 20.0, 15.0, 3.0)] for k in keys}
    report = {
        "commit": "abc", "date": "d", "cores": 2, "load_after": 1.0, "ray_limit": "env", "repeat": 1,
        "seconds": 60, "rows": {k: summarize(v) for k, v in all_runs.items()}, "runs": all_runs,
    }  # fmt: skip
    text = render(report)
    assert "| 1 | 2.00 | 1.00 | 1.00 |" in text and "WARNING" not in text


def test_proc_readers_on_this_process():
    me = ray_procs.read_stat(os.getpid())
    assert me is not None and me.ppid == os.getppid() and me.cpu >= 0
    assert ray_procs.status_kb(os.getpid(), "VmHWM:") > 0
    assert ray_procs.read_stat(2**22 + 1) is None  # beyond pid_max: gone
    old = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        assert ray_procs.ignores_sigchld(os.getpid())
    finally:
        signal.signal(signal.SIGCHLD, old)
    assert not ray_procs.ignores_sigchld(os.getpid())
