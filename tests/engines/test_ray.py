"""Issue 8 (Ray half): engine ray gives exactly the local engine's output, on a local Ray of 2 CPUs."""

from __future__ import annotations

import json
import os

import numpy as np
import pyarrow.parquet as pq
import pytest

from corpus import Pipeline
from corpus.dedup import minhash as mh
from corpus.errors import ConfigError
from tests.conftest import ROOT, shared_path

ray = pytest.importorskip("ray", reason="engine ray needs the ray extra: pip install corpus[ray]")


@pytest.fixture(scope="session")
def ray_cluster():
    """One local Ray for the session, started as a build starts its own (loopback, private, reaped):
    2 CPUs, a modest object store. Subprocesses reach it with its token, inherited from os.environ."""
    from corpus.engines.ray.engine import local_ray

    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    if ray.is_initialized():
        yield
        return
    with local_ray(num_cpus=2, object_store_memory=512 << 20):
        yield


def tree(root) -> dict[str, bytes]:
    """Every file of a build, by relative path."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def records(root) -> list[dict]:
    manifest = json.loads((root / "manifest.json").read_text())
    return [row for s in manifest["shards"] for row in pq.read_table(root / s["path"]).to_pylist()]


def assert_same_build(local_dir, ray_dir) -> None:
    """Same records (every field, in order), same counters, and in fact the same bytes everywhere."""
    assert records(ray_dir) == records(local_dir)
    ml, mr = (json.loads((d / "manifest.json").read_text()) for d in (local_dir, ray_dir))
    assert mr["counts"] == ml["counts"]
    assert mr["stages"] == ml["stages"]
    a, b = tree(local_dir), tree(ray_dir)
    assert sorted(b) == sorted(a)
    assert [name for name in a if a[name] != b[name]] == []


def test_sample_corpus_same_as_local(ray_cluster, tmp_path):
    pipeline = Pipeline.from_yaml(ROOT / "configs" / "sample.yaml")
    local = pipeline.build(output=tmp_path / "local", workers=0, progress=False)
    result = Pipeline.from_yaml(ROOT / "configs" / "sample.yaml").build(
        output=tmp_path / "ray", engine="ray", progress=False
    )
    counts = result.manifest["counts"]
    assert counts["dropped"] == {"exact_dedup.exact_duplicate": 3, "near_dedup.near_duplicate": 2}
    assert counts == local.manifest["counts"]
    assert_same_build(tmp_path / "local", tmp_path / "ray")
    assert not list(tmp_path.glob(".ray.*")), "temporary or work directory left behind"


@pytest.mark.slow
def test_bench_corpus_same_as_local(ray_cluster, tmp_path):
    """27,145 real documents plus a second file of exact copies, checkpoint chunks of 5,000."""
    bench = shared_path("bench", "base_text.jsonl.zst")
    rng = np.random.default_rng(8)
    copies = tmp_path / "copies.jsonl"
    with_text = []
    import zstandard

    with zstandard.open(bench, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i % 90 == 0:
                with_text.append(json.loads(line)["text"])
    picks = rng.choice(len(with_text), size=250, replace=True)
    copies.write_text(
        "".join(json.dumps({"id": f"copy-{i}", "text": with_text[j]}) + "\n" for i, j in enumerate(picks))
        + "not json\n",
        encoding="utf-8",
    )
    config = {
        "input": {"paths": [str(bench), str(copies)]},
        "stages": [{"fix_encoding": {}}, {"exact_dedup": {}}, {"near_dedup": {}}],
        "output": {"path": str(tmp_path / "local")},
        "checkpoint_docs": 5000,
    }
    local = Pipeline.from_config(config).build(progress=False)
    result = Pipeline.from_config(config).build(output=tmp_path / "ray", engine="ray", progress=False)
    counts = result.manifest["counts"]
    assert counts["read"] == 27_145 + 251 and counts["quarantined"] == 1
    assert counts["dropped"]["exact_dedup.exact_duplicate"] >= 250
    assert counts["dropped"]["near_dedup.near_duplicate"] > 1000
    assert counts == local.manifest["counts"]
    assert_same_build(tmp_path / "local", tmp_path / "ray")


@pytest.mark.parametrize("seed", [0, pytest.param(1, marks=pytest.mark.slow)])
def test_distributed_components_match_union_find(ray_cluster, seed):
    """Large-star/small-star over a Ray dataset labels every node as the local union-find does."""
    import pyarrow as pa
    import ray.data

    from corpus.dedup import distributed as dist

    rng = np.random.default_rng(seed)
    n = 3000
    chain = np.stack([np.arange(100, 160), np.arange(101, 161)], axis=1)  # a long path: many rounds
    pairs = np.concatenate([rng.integers(0, n, size=(1500, 2)), chain])
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    pairs = np.sort(pairs, axis=1) * 7 + 3  # sparse node numbers, as idx values are
    edges = ray.data.from_arrow(
        pa.table({"u": pairs[:, 0], "v": pairs[:, 1], "flag": np.zeros(len(pairs), dtype=np.int8)})
    )
    stars, rounds = dist.connected_components(edges, partitions=2)
    label = {}
    for row in stars.take_all():
        if row["flag"] == 0:
            assert label.setdefault(row["u"], row["v"]) == row["v"], "a leaf with two centres"
    expected = mh.connected_components(7 * n + 3, pairs)
    nodes = np.unique(pairs)
    assert {int(v): label.get(int(v), int(v)) for v in nodes} == {int(v): int(expected[v]) for v in nodes}
    assert rounds > 1


def test_options_without_a_distributed_form_fail_clearly(ray_cluster, tmp_path):
    (tmp_path / "a.txt").write_text("one two three four five six", encoding="utf-8")
    for stages, named in (
        ([{"near_dedup": {"cluster_by": "star"}}], "cluster_by: star"),
        ([{"repeated_lines": {}}, {"near_dedup": {}}], "repeated_lines runs after near_dedup only"),
    ):
        config = {"input": {"paths": [str(tmp_path / "a.txt")]}, "stages": stages, "output": {"path": "x"}}
        with pytest.raises(ConfigError, match=named):
            Pipeline.from_config(config).build(output=tmp_path / "out", engine="ray", progress=False)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("alone", [False, True], ids=["sample-stages", "repeated-lines-alone"])
def test_repeated_lines_same_as_local(ray_cluster, tmp_path, sample_article, alone):
    """repeated_lines (on in configs/sample.yaml) on pages of a multi-page site, a small site, a page of
    furniture only (dropped) and an exact copy, in two input files: the local engine's bytes."""
    from corpus.config import load_yaml
    from tests.dedup.test_lines import NAV_LINE, site_pages

    rows = site_pages(sample_article)
    for n, part in enumerate((rows[:5], rows[5:])):
        (tmp_path / f"in-{n}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part), encoding="utf-8"
        )
    stages = [{"repeated_lines": {}}] if alone else load_yaml(ROOT / "configs" / "sample.yaml")["stages"]
    config = {
        "input": {"paths": [str(tmp_path / "in-*.jsonl")]},
        "stages": stages,
        "batch_size": 3,
        "output": {"path": "x"},
    }
    local = Pipeline.from_config(config).build(output=tmp_path / "local", workers=0, progress=False)
    Pipeline.from_config(config).build(output=tmp_path / "ray", engine="ray", progress=False)
    # alone: no exact_dedup drops the copy, no strip_boilerplate takes the sign-up line first
    removed = 9 * 4 + 3 if alone else 8 * 3 + 3
    assert local.manifest["stages"]["repeated_lines"]["removed.repeated_line"] == removed
    assert "repeated_lines.only_repeated_lines" in local.manifest["counts"]["dropped"]
    assert not any(NAV_LINE in r["text"] for r in records(tmp_path / "ray"))
    assert_same_build(tmp_path / "local", tmp_path / "ray")


def test_engine_ray_in_yaml_and_keep_longest(ray_cluster, tmp_path):
    """``engine: ray`` in the config selects it; keep: longest picks the same document as local."""
    article = (ROOT / "data" / "sample" / "pompeo-nagorno-karabakh.txt").read_text(encoding="utf-8")
    rows = [{"id": f"d{i}", "text": article + " extra" * (i % 3)} for i in range(6)]
    rows += [{"id": f"u{i}", "text": f"unrelated note number {i} about nothing much"} for i in range(5)]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    base = {
        "input": {"paths": [str(tmp_path / "in.jsonl")]},
        "stages": [{"near_dedup": {"keep": "longest", "threshold": 0.7}}],
    }
    Pipeline.from_config({**base, "output": {"path": str(tmp_path / "local")}}).build(progress=False)
    result = Pipeline.from_config({**base, "engine": "ray", "output": {"path": str(tmp_path / "ray")}}).build(
        progress=False
    )
    assert result.manifest["config"]["engine"] == "ray"
    assert result.manifest["counts"]["kept"] == 1 + 5
    assert records(tmp_path / "ray") == records(tmp_path / "local")
    kept = [r["id"] for r in records(tmp_path / "ray") if r["id"].startswith("d")]
    assert kept == ["d2"]  # the longest, earliest of the longest


@pytest.mark.slow  # the sample corpus on both engines again (test_sample_corpus_same_as_local), via the CLI
def test_cli_engine_ray(ray_cluster, tmp_path):
    """``corpus build --engine ray`` (in-process, so it uses the session's Ray) writes the local bytes."""
    from corpus.cli import main

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        assert (
            main(["build", "configs/sample.yaml", "--output", str(tmp_path / "ray"), "--engine", "ray"]) == 0
        )
        assert (
            main(["build", "configs/sample.yaml", "--output", str(tmp_path / "local"), "--workers", "0"]) == 0
        )
    finally:
        os.chdir(cwd)
    assert tree(tmp_path / "ray") == tree(tmp_path / "local")


@pytest.mark.slow  # three Ray builds of the sample; make test resumes a Ray build in the kill test below
def test_failed_build_leaves_the_previous_output_whole(ray_cluster, tmp_path, monkeypatch):
    """A build that dies while writing leaves the old output as it was and no temporary directory."""
    from corpus.io.write import sink

    out = tmp_path / "out"
    config = ROOT / "configs" / "sample.yaml"
    Pipeline.from_yaml(config).build(output=out, engine="ray", progress=False)
    before = tree(out)

    def die(self, doc):
        raise KeyboardInterrupt("killed while writing shards")

    monkeypatch.setattr(sink.Sink, "keep", die)
    with pytest.raises(KeyboardInterrupt):
        Pipeline.from_yaml(config).build(output=out, engine="ray", progress=False)
    assert tree(out) == before
    # No temporary directory; the committed map parts stay for a rerun, which reuses and removes them.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.ray-work", "out"]
    monkeypatch.undo()
    result = Pipeline.from_yaml(config).build(output=out, engine="ray", progress=False)
    assert (
        result.resumed_chunks == len(result.manifest["inputs"]) and "input files reused" in result.summary()
    )
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# -- kill safety: a killed Ray build, run again, resumes from its committed map parts -------------

# Runs the real CLI against the session's Ray with a hook that SIGKILLs, at a named point, the
# driver or ("worker") a map actor of the session's Ray (a descendant of the pytest process).
KILLER = """
import os, signal, sys
import corpus.engines.ray.engine as engine
from corpus.cli import main
what, point, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def descendants(root):
    children = {}
    for d in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{d}/stat") as fh:
                children.setdefault(int(fh.read().rsplit(")", 1)[1].split()[1]), []).append(int(d))
        except (OSError, IndexError, ValueError):
            pass
    found, todo = [], [root]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found
def hook(name, i):
    if name != point or i != n:
        return
    if what == "driver":
        os.kill(os.getpid(), signal.SIGKILL)
    for pid in descendants(int(os.environ["SESSION_PID"])):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                title = fh.read()
            if title.startswith(b"ray::") and b"_Process" in title:  # a map actor, not this driver
                os.kill(pid, signal.SIGKILL)
                print(f"killed map actor {pid}", file=sys.stderr)
                return
        except OSError:
            pass
    print(f"no map actor among {descendants(int(os.environ['SESSION_PID']))}", file=sys.stderr)
engine.on_event = hook
sys.exit(main(sys.argv[4:]))
"""
N_FILES = 6  # five files of bench documents and an empty one (number 2)


def run_cli(cwd, *args: str, killer: tuple[str, str, int] | None = None):
    import subprocess
    import sys

    prefix = ["-c", KILLER, *map(str, killer)] if killer else ["-m", "corpus.cli"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAY_DEDUP_LOGS": "0", "SESSION_PID": str(os.getpid())}
    return subprocess.run(
        [sys.executable, *prefix, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=180
    )


def wait_until_idle(cpus: float = 2, timeout: float = 30) -> None:
    """The killed driver's job is gone: its actors and tasks gave the session's CPUs back."""
    import time

    deadline = time.monotonic() + timeout
    while ray.available_resources().get("CPU", 0) < cpus:
        assert time.monotonic() < deadline, f"Ray resources not released: {ray.available_resources()}"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def killable(ray_cluster, tmp_path_factory):
    """2,600 bench documents in 5 files (+ exact copies, a bad line, an empty file); the local bytes."""
    import zstandard

    bench = shared_path("bench", "base_text.jsonl.zst")
    tmp = tmp_path_factory.mktemp("ray-resume")
    with zstandard.open(bench, "rt", encoding="utf-8") as fh:
        lines = [line for _, line in zip(range(2500), fh, strict=False)]
    copies = [
        json.dumps({"id": f"copy-{i}", "text": json.loads(lines[i * 7])["text"]}) + "\n" for i in range(100)
    ]
    chunks = [lines[i * 500 : (i + 1) * 500] for i in range(5)]
    chunks[3] = chunks[3][:250] + copies + ["not json\n"] + chunks[3][250:]
    names = []
    for i, chunk in enumerate(chunks):
        names.append(f"in-{i}.jsonl")
        (tmp / names[-1]).write_text("".join(chunk), encoding="utf-8")
        if i == 1:
            names.append("in-empty.jsonl")
            (tmp / names[-1]).write_text("", encoding="utf-8")
    assert len(names) == N_FILES
    (tmp / "build.yaml").write_text(
        f"input: {{paths: [{', '.join(names)}]}}\n"
        "stages:\n  - fix_encoding: {}\n  - exact_dedup: {}\n  - near_dedup: {}\n"
        "output: {path: out}\nbatch_size: 128\ncheckpoint_docs: 700\n",
        encoding="utf-8",
    )
    local = run_cli(tmp, "build", "build.yaml", "--output", "reference", "--workers", "0", "--quiet")
    assert local.returncode == 0, local.stderr
    reference = tree(tmp / "reference")
    counts = json.loads(reference["manifest.json"])["counts"]
    assert counts["read"] == 2602 and counts["quarantined"] == 2  # the bad line, the empty file
    assert counts["dropped"]["exact_dedup.exact_duplicate"] >= 100
    assert counts["dropped"]["near_dedup.near_duplicate"] > 20
    address = ray.get_runtime_context().gcs_address
    return tmp, reference, ["build", "build.yaml", "--engine", "ray", "--address", address, "--quiet"]


@pytest.mark.parametrize(
    ("point", "n", "reused"),
    [
        ("part_committed", 1, 2),  # mid-map: input files 0 and 1 committed, the rest not yet
        pytest.param("dedup", 1, N_FILES, marks=pytest.mark.slow),  # between exact and near dedup
        # the driver writing shards, .out.tmp half full
        pytest.param("final_write", 4, N_FILES, marks=pytest.mark.slow),
    ],
)
def test_killed_ray_build_resumes_to_the_same_bytes(killable, point, n, reused):
    import shutil

    tmp, reference, build = killable
    out, work = tmp / "out", tmp / ".out.ray-work"
    for stale in (out, work):
        shutil.rmtree(stale, ignore_errors=True)
    killed = run_cli(tmp, *build, killer=("driver", point, n))
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert not out.exists(), "an interrupted build must not leave an output that looks complete"
    parts = sorted(p.name for p in work.glob("file-*.parquet"))
    assert parts == [f"file-{i:06d}.parquet" for i in range(reused)]
    wait_until_idle()
    resumed = run_cli(tmp, *build)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"resumed: {reused} input files reused" in resumed.stdout
    assert tree(out) == reference
    assert sorted(p.name for p in tmp.iterdir() if p.name.startswith(".")) == [], "work dir left behind"
    wait_until_idle()


@pytest.mark.slow
def test_half_written_part_is_ignored(killable):
    """A part without its commit (the rename) is redone; a part of another run is not reused."""
    import shutil

    tmp, reference, build = killable
    out, work = tmp / "out", tmp / ".out.ray-work"
    for stale in (out, work):
        shutil.rmtree(stale, ignore_errors=True)
    assert run_cli(tmp, *build, killer=("driver", "part_committed", 1)).returncode == -9
    (work / "file-000001.parquet").rename(work / "file-000001.parquet.tmp")  # as if killed before the rename
    (work / "file-000000.parquet").write_bytes(b"a torn write")  # would fail to read if it were reused
    run = json.loads((work / "run.json").read_text())
    (work / "run.json").write_text(json.dumps({**run, "config_sha256": "another config"}))
    wait_until_idle()
    resumed = run_cli(tmp, *build)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resumed" not in resumed.stdout
    assert tree(out) == reference
    assert not work.exists()
    wait_until_idle()


@pytest.mark.slow
def test_killed_map_actor_is_replaced(killable):
    """SIGKILL of a map actor mid-map: Ray restarts it and retries its batch; the same bytes, no leftovers."""
    import shutil

    tmp, reference, build = killable
    shutil.rmtree(tmp / "out", ignore_errors=True)
    done = run_cli(tmp, *build, killer=("worker", "part_committed", 0))
    assert "killed map actor" in done.stderr, done.stderr[-3000:]
    assert done.returncode == 0, done.stderr[-2000:]
    assert tree(tmp / "out") == reference
    assert sorted(p.name for p in tmp.iterdir() if p.name.startswith(".")) == []
    wait_until_idle()


# -- issue 13 on engine ray: hostile inputs give the local engine's bytes; the work folder holds no code --

HOSTILE = ROOT / "tests" / "data" / "hostile"


def build_both(tmp_path, paths: list[str], stages: list | None = None) -> tuple[dict, dict]:
    """``paths`` built by both engines (ray on the session's Ray): the same bytes; both manifests."""
    config = {
        "input": {"paths": paths},
        "stages": stages if stages is not None else [{"exact_dedup": {}}, {"near_dedup": {}}],
        "output": {"path": "out"},
    }
    local = Pipeline.from_config(config).build(output=tmp_path / "local", workers=0, progress=False)
    result = Pipeline.from_config(config).build(output=tmp_path / "ray", engine="ray", progress=False)
    assert_same_build(tmp_path / "local", tmp_path / "ray")
    assert result.manifest["counts"] == local.manifest["counts"]
    return local.manifest, result.manifest


def test_records_skipped_by_design_are_counted_as_local(ray_cluster, tmp_path):
    """A wget WARC: requests, stylesheets, images, redirects and wget's logs are `skipped` by reason."""
    _, manifest = build_both(tmp_path, [str(HOSTILE / "crawl-mixed.warc.gz")])
    counts = manifest["counts"]
    assert sum(counts["skipped"].values()) == 10 and counts["read"] == 12, counts


def test_lone_surrogates_in_id_and_meta(ray_cluster, tmp_path):
    lines = [
        r'{"id": "bad\ud800", "text": "the first document has a broken id"}',
        r'{"id": "m", "text": "the second document has broken metadata", "meta": {"k": "v\udfff"}}',
        r'{"id": "fine", "text": "and the third one is a perfectly normal document"}',
    ]
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, manifest = build_both(tmp_path, [str(tmp_path / "in.jsonl")])
    assert manifest["counts"]["read"] == 3


def test_hugging_face_dataset_folder_as_input(ray_cluster, tmp_path):
    datasets = pytest.importorskip("datasets")
    texts = ["one small document about rivers", "another about mountains", "one small document about rivers"]
    datasets.Dataset.from_dict({"id": ["a", "b", "c"], "text": texts}).save_to_disk(str(tmp_path / "hf"))
    _, manifest = build_both(tmp_path, [str(tmp_path / "hf")])
    assert manifest["counts"]["read"] == 3 and manifest["counts"]["kept"] == 2


def test_documents_empty_after_cleaning_are_dropped_as_local(ray_cluster, tmp_path):
    rows = [{"id": "blank", "text": " \n\t  "}, {"id": "real", "text": "a document with words in it"}]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    _, manifest = build_both(tmp_path, [str(tmp_path / "in.jsonl")], stages=[{"fix_encoding": {}}])
    assert manifest["counts"]["dropped"] == {"empty": 1} and manifest["counts"]["kept"] == 1


def test_an_input_a_worker_cannot_see_stops_the_build(ray_cluster, tmp_path, monkeypatch):
    """Gone while the read tasks run, back by the time the driver checks: never `quarantined`, exit 0."""
    from corpus.engines.ray import engine as ray_engine
    from corpus.errors import BuildError

    for name in ("a", "b"):
        (tmp_path / f"{name}.jsonl").write_text(json.dumps({"id": name, "text": f"text {name} here"}) + "\n")
    hidden, away = tmp_path / "b.jsonl", tmp_path / "b.away"

    def hide(name: str, n: int) -> None:
        if name == "map":
            hidden.rename(away)
        elif name == "part_committed" and away.exists():
            away.rename(hidden)

    monkeypatch.setattr(ray_engine, "on_event", hide)
    config = {
        "input": {"paths": [str(tmp_path / "a.jsonl"), str(hidden)]},
        "stages": [],
        "output": {"path": "out"},
    }
    with pytest.raises(BuildError, match=r"b\.jsonl"):
        Pipeline.from_config(config).build(output=tmp_path / "out", engine="ray", progress=False)
    assert not (tmp_path / "out").exists()


class _Planted:
    """Unpickling this makes a folder: proof that code in a work directory ran."""

    def __init__(self, flag) -> None:
        self.flag = str(flag)

    def __reduce__(self):
        return (os.mkdir, (self.flag,))


def test_code_planted_in_the_work_directory_never_runs(ray_cluster, tmp_path, monkeypatch):
    """A committed part whose payloads are pickles is refused naming it; stray .pkl files are ignored;
    a part that is not our Parquet layout is redone."""
    import pickle

    import pyarrow as pa

    from corpus.engines.ray import engine as ray_engine
    from corpus.errors import BuildError

    config, out, work = ROOT / "configs" / "sample.yaml", tmp_path / "out", tmp_path / ".out.ray-work"
    flag = tmp_path / "code-ran"

    def stop(name: str, n: int) -> None:
        if name == "dedup":
            raise KeyboardInterrupt("stopped after the map")

    monkeypatch.setattr(ray_engine, "on_event", stop)
    with pytest.raises(KeyboardInterrupt):
        Pipeline.from_yaml(config).build(output=out, engine="ray", progress=False)
    monkeypatch.setattr(ray_engine, "on_event", None)
    parts = sorted(work.glob("file-*.parquet"))
    assert len(parts) > 1
    evil = pickle.dumps(_Planted(flag))
    for name in ("chunk-000000.pkl", "file-000000.pkl", ".near-drops.pkl"):
        (work / name).write_bytes(evil)
    t = pq.read_table(parts[0])
    t = t.set_column(
        t.schema.get_field_index("payload"), "payload", pa.array([evil] * t.num_rows, pa.binary())
    )
    pq.write_table(t, parts[0])
    with pytest.raises(BuildError, match=parts[0].name):
        Pipeline.from_yaml(config).build(output=out, engine="ray", progress=False)
    assert not flag.exists(), "a pickle in the work directory was loaded"
    assert not out.exists()
    pq.write_table(pa.table({"payload": [evil]}), parts[0])  # not our layout: redone, not read
    result = Pipeline.from_yaml(config).build(output=out, engine="ray", progress=False)
    assert result.resumed_chunks == len(parts) - 1
    assert not flag.exists()
