"""The command-line habits a user expects (issue 19, part 3), on real data.

--version; -q/-v; progress for every phase (plain lines when stderr is a pipe); --limit and
--sample/--seed for a quick look, recorded in the manifest; --dry-run; --input; `corpus stages`
describing every option; one-line config errors that suggest the closest name.

Data: the shipped sample (configs/sample.yaml over data/sample/) and the team's bench documents
(../shared/bench/base_text.jsonl.zst, read in place or its first 200 records; skipped when absent).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, shared_path

from corpus.cli import main
from corpus.engines.sampling import in_sample
from corpus.version import __version__

PHASES = ("hash inputs", "map", "decide", "write", "finish")
STAGES = [{"fix_encoding": {}}, {"strip_boilerplate": {}}, {"exact_dedup": {}}]


def corpus(*args: str, cwd: Path = ROOT, timeout: float = 300) -> subprocess.CompletedProcess:
    """`corpus ARGS` in a fresh interpreter, stdout and stderr to pipes (not a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "corpus.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def bench_config(folder: Path, paths: list[str], **extra: object) -> Path:
    config = {"name": "bench slice", "input": {"paths": paths, "format": "jsonl"}, "stages": STAGES}
    config.update({"output": {"path": "out"}, "workers": 0, **extra})
    path = folder / "c.yaml"
    path.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
    return path


@pytest.fixture(scope="module")
def bench_slice(tmp_path_factory) -> tuple[Path, list[str]]:
    """The first 200 records of the bench documents as a JSONL file, and their ids."""
    import zstandard

    path = shared_path("bench", "base_text.jsonl.zst")
    with path.open("rb") as f:
        reader = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(f), encoding="utf-8")
        lines = [next(reader) for _ in range(200)]
    folder = tmp_path_factory.mktemp("bench")
    (folder / "in.jsonl").write_text("".join(lines), encoding="utf-8")
    return folder / "in.jsonl", [json.loads(line)["id"] for line in lines]


def test_version():
    run = corpus("--version")
    assert run.returncode == 0 and run.stdout == f"corpus {__version__}\n"


@pytest.mark.parametrize("where", [pytest.param("before", marks=pytest.mark.slow), "after"])
def test_quiet_good_build_prints_only_the_summary(tmp_path, where):
    """-q before or after the subcommand: no progress, no log line; the summary on stdout."""
    out = tmp_path / "out"
    args = ["build", "configs/sample.yaml", "--output", str(out)]
    run = corpus(*(["-q", *args] if where == "before" else [*args, "-q"]))
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert run.stdout.startswith(f"built {out}")


def test_piped_build_prints_a_plain_line_for_each_phase(tmp_path):
    """stderr to a pipe: no bar (no carriage return), a closing line per phase with its total."""
    run = corpus("build", "configs/sample.yaml", "--output", str(tmp_path / "out"))
    assert run.returncode == 0, run.stderr
    assert "\r" not in run.stderr
    lines = run.stderr.splitlines()
    ends = [line for line in lines if "done in " in line]
    assert [next(p for p in PHASES if line.startswith(f"corpus: {p} ")) for line in ends] == list(PHASES)
    read = manifest(tmp_path / "out")["counts"]["read"]
    assert "corpus: hash inputs 6/6 files, " in ends[0]
    assert ends[1].startswith(f"corpus: map 1/1 blocks, {read} docs, ")
    assert ends[3].startswith("corpus: write 1/1 blocks, ")
    assert run.stdout.startswith("built ")  # progress never reaches stdout


def test_verbose_logs_the_plan(tmp_path):
    run = corpus("-v", "build", "configs/sample.yaml", "--output", str(tmp_path / "out"))
    assert run.returncode == 0, run.stderr
    assert "corpus: INFO: planned 1 block(s) of at most 16MB of input each" in run.stderr.splitlines()


def test_limit_reads_only_the_first_records_and_the_manifest_says_so(tmp_path):
    """--limit 3 over the bench file read in place (two blocks planned; one mapped, cut to 3 records)."""
    bench = shared_path("bench", "base_text.jsonl.zst")
    config = bench_config(tmp_path, ["unused.jsonl"])
    run = corpus("build", config.name, "--input", str(bench), "--limit", "3", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    got = manifest(tmp_path / "out")
    assert got["config"]["input"]["limit"] == 3
    counts = got["counts"]
    assert counts["read"] == 3 and counts["kept"] <= 3
    assert counts["kept"] + sum(counts["dropped"].values()) + counts["quarantined"] == 3
    assert [s["path"] for s in got["shards"]] == ["data/train-00000-of-00001.parquet"]
    assert "read 3, kept " in run.stdout


def _kept_ids(out: Path) -> list[str]:
    import pyarrow.parquet as pq

    return [
        i
        for s in manifest(out)["shards"]
        for i in pq.read_table(out / s["path"], columns=["id"])["id"].to_pylist()
    ]


def test_sample_is_seeded_and_accounted_whatever_the_workers(tmp_path, bench_slice):
    """--sample 0.5 --seed 1 twice (in-process; then 2 workers over 4 blocks): the same shard
    bytes; the documents left out are skipped as sampled_out and read == every record."""
    src, ids = bench_slice
    config = bench_config(tmp_path, [str(src)], block_size="150KB")
    runs = {}
    for name, workers in (("one", "0"), ("two", "2")):
        out = tmp_path / name
        argv = ["build", str(config), "--output", str(out), "--sample", "0.5", "--seed", "1", "-q"]
        assert main([*argv, "--workers", workers]) == 0
        runs[name] = manifest(out)
    one, two = runs["one"], runs["two"]
    assert len(one["shards"]) > 1
    assert [s["sha256"] for s in one["shards"]] == [s["sha256"] for s in two["shards"]]
    assert one["config"]["input"]["sample"] == 0.5 and one["config"]["input"]["sample_seed"] == 1
    picked = [i for i in ids if in_sample(i, 0.5, 1)]
    assert 50 < len(picked) < 150
    counts = one["counts"]
    assert counts["read"] == len(ids) == 200
    assert counts["skipped"] == {"sampled_out": len(ids) - len(picked)}
    assert counts["kept"] + sum(counts["dropped"].values()) + counts["quarantined"] == len(picked)
    assert set(_kept_ids(tmp_path / "one")) <= set(picked)

    assert (
        main(
            [
                "build",
                str(config),
                "--output",
                str(tmp_path / "seed2"),
                "--sample",
                "0.5",
                "--seed",
                "2",
                "-q",
            ]
        )
        == 0
    )
    assert set(_kept_ids(tmp_path / "seed2")) != set(_kept_ids(tmp_path / "one"))


def test_dry_run_writes_nothing_and_names_the_output(tmp_path):
    out = tmp_path / "out"
    run = corpus("build", "configs/sample.yaml", "--output", str(out), "--dry-run")
    assert run.returncode == 0, run.stderr
    assert f"output: {out}: absent: it would be created" in run.stdout
    assert "inputs: 6 files, " in run.stdout and "  data/sample/pompeo-nagorno-karabakh.txt  " in run.stdout
    assert "  1. fix_encoding [per document]" in run.stdout and "blocks: 1 " in run.stdout
    assert list(tmp_path.iterdir()) == []  # no output, no work folder, no lock


def test_dry_run_says_an_earlier_build_would_be_replaced(tmp_path):
    out = tmp_path / "out"
    assert main(["build", "configs/sample.yaml", "--output", str(out), "-q"]) == 0
    before = sorted(p.name for p in tmp_path.iterdir())
    run = corpus("build", "configs/sample.yaml", "--output", str(out), "--dry-run")
    assert run.returncode == 0, run.stderr
    assert f"output: {out}: an earlier build (toolkit {__version__}, kept " in run.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_input_overrides_the_config_paths(tmp_path):
    article = ROOT / "data" / "sample" / "pompeo-nagorno-karabakh.txt"
    config = tmp_path / "c.yaml"
    config.write_text(
        json.dumps({"input": {"paths": ["nowhere/*.txt"]}, "stages": STAGES, "output": {"path": "out"}}),
        encoding="utf-8",
    )
    run = corpus("build", config.name, "--input", str(article), "-q", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    got = manifest(tmp_path / "out")
    assert got["counts"]["read"] == 1
    assert got["config"]["input"]["paths"] != ["nowhere/*.txt"]
    assert [i["sha256"] for i in got["inputs"]] and len(got["inputs"]) == 1


def test_stages_describes_every_option(capsys):
    from corpus import stages

    assert main(["stages", "strip_boilerplate", "near_dedup"]) == 0
    out = capsys.readouterr().out.splitlines()
    for name in ("strip_boilerplate", "near_dedup"):
        cls = stages.get(name)
        head = next(i for i, line in enumerate(out) if line.startswith(f"{name}: "))
        assert len(out[head]) > len(name) + 20  # the stage's own summary
        for option, declared in cls.OPTIONS.items():
            line = next(x for x in out[head + 1 :] if x.startswith(f"    {option}: "))
            kind, _, doc = line.partition(f"(default {json.dumps(declared.default, ensure_ascii=False)}). ")
            assert declared.describe() in kind and doc == declared.doc.strip() and doc, line


def test_every_declared_option_has_a_description():
    from corpus import stages

    missing = [
        f"{name}.{option}"
        for name in stages.available()
        for option, declared in getattr(stages.get(name), "OPTIONS", {}).items()
        if not declared.doc.strip()
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("stages", "message"),
    [
        (
            [{"fix_encodin": {}}],
            "stages[0]: unknown stage 'fix_encodin' (did you mean 'fix_encoding'?); available: ",
        ),
        (
            [{"near_dedup": {"treshold": 0.5}}],
            "stages[0].near_dedup: unknown option 'treshold' (did you mean 'threshold'?)",
        ),
        (
            [{"near_dedup": {"threshold": 2}}],
            "stages[0].near_dedup.threshold: expected a number in [0, 1]; got 2",
        ),
    ],
)
def test_config_errors_are_one_line_and_suggest_the_closest_name(tmp_path, stages, message):
    config = tmp_path / "c.yaml"
    config.write_text(
        json.dumps({"input": {"paths": ["in.txt"]}, "stages": stages, "output": {"path": "out"}}),
        encoding="utf-8",
    )
    run = corpus("build", config.name, "--dry-run", cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.startswith(f"corpus: error: c.yaml: {message}") and run.stderr.count("\n") == 1, (
        run.stderr
    )


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--sample", "0"], "--sample: expected a fraction in (0, 1]"),
        (["--limit", "0"], "--limit: expected a whole number >= 1"),
        (["--seed", "3"], "--seed picks the sample of --sample FRACTION; give --sample too"),
    ],
)
def test_bad_quick_look_flags_are_one_line(tmp_path, args, error):
    run = corpus("build", "configs/sample.yaml", "--output", str(tmp_path / "out"), *args)
    assert run.returncode == 2 and error in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()
