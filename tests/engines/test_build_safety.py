"""A build never deletes what the user owns, never mixes two builds, and accounts for every record.

Issue #13, items 1, 2, 4 (engine side), 10 (work directories), 13 and the accounting promises.
Every test runs the real engine on real files in a temporary folder.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from corpus import Pipeline
from corpus.engines import local
from corpus.engines.output import OutputLock
from corpus.errors import BuildError

ARTICLE = (Path(__file__).resolve().parents[2] / "data" / "sample" / "pompeo-nagorno-karabakh.txt").read_text(
    encoding="utf-8"
)
PARAGRAPHS = [p for p in ARTICLE.split("\n\n") if len(p.split()) > 12]


def _jsonl(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _docs(n: int, prefix: str = "d") -> list[dict]:
    texts = [PARAGRAPHS[i % len(PARAGRAPHS)] for i in range(n)]
    return [{"id": f"{prefix}{i}", "text": f"{text} ({prefix} {i})"} for i, text in enumerate(texts)]


def _build(inputs: list[str], output: str, stages: list | None = None, **output_opts):
    config = {
        "input": {"paths": inputs, "format": "auto"},
        "stages": stages if stages is not None else [{"exact_dedup": {}}],
        "output": {"path": output, **output_opts},
    }
    return Pipeline.from_config(config).build(workers=0, progress=False)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- 1. the output is replaced only when it is ours to replace --------------------------------------


def test_output_that_is_the_input_folder_is_refused_and_inputs_survive(cwd):
    for i in range(3):
        (cwd / "inputs").mkdir(exist_ok=True)
        (cwd / "inputs" / f"{i}.txt").write_text(PARAGRAPHS[i], encoding="utf-8")
    before = _tree(cwd / "inputs")
    with pytest.raises(BuildError, match="holds the input"):
        _build(["inputs/*.txt"], "inputs")
    assert _tree(cwd / "inputs") == before


def test_output_inside_an_input_folder_is_refused(cwd):
    _jsonl(cwd / "data" / "a.jsonl", _docs(3))
    with pytest.raises(BuildError, match="lies inside the input"):
        _build(["data"], "data/out")
    with pytest.raises(BuildError, match="lies inside the input data"):
        _build(["data/**/*.jsonl"], "data/out")  # the next build would read out/dropped.jsonl
    assert not (cwd / "data" / "out").exists()


def test_output_that_is_the_working_directory_or_a_repository_is_refused(cwd):
    (cwd / ".git").mkdir()
    (cwd / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    _jsonl(cwd / "elsewhere" / "a.jsonl", _docs(3))
    (cwd / "notes.txt").write_text("mine", encoding="utf-8")
    before = _tree(cwd)
    for output in (".", str(cwd)):
        with pytest.raises(BuildError, match="working directory"):
            _build(["elsewhere/a.jsonl"], output)
    assert _tree(cwd) == before


def test_output_that_contains_a_repository_root_or_home_is_refused(cwd, monkeypatch):
    repo = cwd / "projects" / "repo"
    (repo / ".git").mkdir(parents=True)
    monkeypatch.chdir(repo)
    _jsonl(cwd / "in" / "a.jsonl", _docs(3))
    with pytest.raises(BuildError, match=r"contains the (working directory|repository root)"):
        _build([str(cwd / "in" / "a.jsonl")], str(cwd / "projects"))
    home = cwd / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    with pytest.raises(BuildError, match="home directory"):
        _build([str(cwd / "in" / "a.jsonl")], str(home))
    with pytest.raises(BuildError, match="filesystem root"):
        _build([str(cwd / "in" / "a.jsonl")], "/")
    assert (repo / ".git").is_dir()


def test_a_folder_of_unrelated_files_is_refused_untouched(cwd):
    _jsonl(cwd / "a.jsonl", _docs(3))
    (cwd / "photos").mkdir()
    (cwd / "photos" / "cat.jpg").write_bytes(b"\xff\xd8\xff" + bytes(100))
    with pytest.raises(BuildError, match="not empty and not a previous build"):
        _build(["a.jsonl"], "photos")
    assert (cwd / "photos" / "cat.jpg").read_bytes().startswith(b"\xff\xd8")


def test_an_existing_plain_file_is_refused_not_renamed(cwd):
    _jsonl(cwd / "a.jsonl", _docs(3))
    (cwd / "out").write_text("my notes", encoding="utf-8")
    with pytest.raises(BuildError, match="not a folder"):
        _build(["a.jsonl"], "out")
    assert (cwd / "out").read_text(encoding="utf-8") == "my notes"
    assert not list(cwd.glob(".out*"))


def test_a_previous_build_is_replaced_but_not_one_holding_a_users_file(cwd):
    _jsonl(cwd / "a.jsonl", _docs(5))
    _build(["a.jsonl"], "out")
    first = json.loads((cwd / "out" / "manifest.json").read_text(encoding="utf-8"))
    _jsonl(cwd / "a.jsonl", _docs(4))
    _build(["a.jsonl"], "out")  # a previous build: replaced
    second = json.loads((cwd / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert (first["counts"]["kept"], second["counts"]["kept"]) == (5, 4)
    (cwd / "out" / "my-analysis.ipynb").write_text("{}", encoding="utf-8")
    with pytest.raises(BuildError, match=r"my-analysis\.ipynb"):
        _build(["a.jsonl"], "out")
    assert (cwd / "out" / "my-analysis.ipynb").exists()
    assert json.loads((cwd / "out" / "manifest.json").read_text(encoding="utf-8")) == second


def test_the_cli_names_the_path_and_exits_2(cwd):
    _jsonl(cwd / "a.jsonl", _docs(3))
    (cwd / "c.yaml").write_text(
        "input: {paths: [a.jsonl]}\nstages: [{exact_dedup: {}}]\noutput: {path: out}\n", encoding="utf-8"
    )
    run = subprocess.run(
        [sys.executable, "-m", "corpus.cli", "build", "c.yaml", "--output", "."],
        capture_output=True,
        text=True,
        cwd=cwd,
    )
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert "output .: is the working directory" in run.stderr
    assert (cwd / "a.jsonl").exists() and (cwd / "c.yaml").exists()


# -- 2. one build at a time per output ------------------------------------------------------------


def test_a_second_build_to_a_locked_output_stops_with_a_clear_message(cwd):
    _jsonl(cwd / "a.jsonl", _docs(3))
    (cwd / "c.yaml").write_text(
        "input: {paths: [a.jsonl]}\nstages: [{exact_dedup: {}}]\noutput: {path: out}\n", encoding="utf-8"
    )
    lock = OutputLock(cwd / "out")
    lock.acquire()  # a build in progress in this process
    try:
        run = subprocess.run(
            [sys.executable, "-m", "corpus.cli", "build", "c.yaml", "--workers", "0", "--quiet"],
            capture_output=True,
            text=True,
            cwd=cwd,
        )
    finally:
        lock.release()
    assert run.returncode == 2
    assert f"another build is writing it (process {os.getpid()})" in run.stderr
    assert not (cwd / "out").exists()
    _build(["a.jsonl"], "out")  # released: the next build goes ahead and leaves no lock behind
    assert not (cwd / ".out.lock").exists()


def test_two_concurrent_builds_never_mix_rows(cwd):
    """Two real processes build different inputs into one output: one wins, the other stops."""
    _jsonl(cwd / "a.jsonl", _docs(4000, "a"))
    _jsonl(cwd / "b.jsonl", _docs(4000, "b"))
    for name in "ab":
        (cwd / f"{name}.yaml").write_text(
            f"input: {{paths: [{name}.jsonl]}}\nstages: [{{exact_dedup: {{}}}}]\noutput: {{path: out}}\n"
            "checkpoint_docs: 500\n",
            encoding="utf-8",
        )
    cmd = [sys.executable, "-m", "corpus.cli", "build", "--workers", "0", "--quiet"]
    procs = [subprocess.Popen([*cmd, f"{n}.yaml"], cwd=cwd, stderr=subprocess.PIPE, text=True) for n in "ab"]
    codes = [p.wait(timeout=300) for p in procs]
    errors = [p.stderr.read() for p in procs]
    assert 0 in codes, errors
    import pyarrow.parquet as pq

    ids = pq.read_table(cwd / "out" / "data" / "train-00000-of-00001.parquet", columns=["id"])["id"]
    prefixes = {i[0] for i in ids.to_pylist()}
    assert len(prefixes) == 1 and len(ids) == 4000
    for code, err in zip(codes, errors, strict=True):
        assert code == 0 or "another build is writing it" in err


# -- 10. no code-carrying files in work directories -----------------------------------------------


class _Planted:
    def __reduce__(self):
        return (os.mkdir, ("PWNED",))


def test_a_planted_pickle_in_the_work_directory_is_never_loaded(cwd):
    _jsonl(cwd / "a.jsonl", _docs(3))
    work = cwd / ".out.work"
    work.mkdir()
    (work / "chunk-000000.pkl").write_bytes(pickle.dumps(_Planted()))
    with pytest.raises(BuildError, match="not a work directory of this toolkit"):
        _build(["a.jsonl"], "out")
    assert not (cwd / "PWNED").exists()
    from corpus.engines.checkpoint import WorkDir

    WorkDir(cwd / "out").remove()  # what engine ray does to a local engine's work directory
    assert (work / "chunk-000000.pkl").exists()  # not ours: never deleted
    (work / "run.json").write_text("{}", encoding="utf-8")  # a stale run of ours: started afresh
    _build(["a.jsonl"], "out")
    assert not (cwd / "PWNED").exists()
    assert json.loads((cwd / "out" / "manifest.json").read_text(encoding="utf-8"))["counts"]["kept"] == 3


def test_checkpoint_parts_are_json_and_a_forged_one_is_refused(cwd, monkeypatch):
    _jsonl(cwd / "a.jsonl", _docs(30))
    config = {
        "input": {"paths": ["a.jsonl"]},
        "stages": [{"exact_dedup": {}}, {"near_dedup": {}}],
        "output": {"path": "out"},
        "checkpoint_docs": 10,
    }

    def build() -> None:
        Pipeline.from_config(config).build(workers=0, progress=False)

    def stop(name: str, n: int) -> None:
        if name == "chunk_committed" and n == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(local, "on_event", stop)
    with pytest.raises(KeyboardInterrupt):
        build()
    names = sorted(p.name for p in (cwd / ".out.work").iterdir())
    assert names == [
        "chunk-000000.json",
        "chunk-000000.parquet",
        "chunk-000001.json",
        "chunk-000001.parquet",
        "run.json",
    ]
    part = json.loads((cwd / ".out.work" / "chunk-000000.json").read_text(encoding="ascii"))
    assert part["read"] == 10 and part["keys"]["rows"] == 10
    exact, near = part["keys"]["columns"]  # 16-byte digests as one block, signatures as one array
    assert exact["B"][0] == 16 and near["A"]["a"][:2] == ["<u4", [10, 128]]
    near["A"]["a"][0] = "object"  # not a dtype we write
    (cwd / ".out.work" / "chunk-000000.json").write_text(json.dumps(part), encoding="ascii")
    monkeypatch.setattr(local, "on_event", None)
    with pytest.raises(BuildError, match="not a checkpoint part this toolkit wrote"):
        build()


# -- accounting ---------------------------------------------------------------------------------


def test_documents_empty_after_cleaning_are_dropped_as_empty(cwd):
    records = [*_docs(3), {"id": "blank", "text": "   \n\t "}, {"id": "nothing", "text": ""}]
    records.append({"id": "two-words", "text": "Sign up"})
    _jsonl(cwd / "a.jsonl", records)
    result = _build(["a.jsonl"], "out", stages=[{"fix_encoding": {}}])
    counts = result.manifest["counts"]
    assert counts["dropped"] == {"empty": 2} and counts["kept"] == 4
    assert counts["read"] == counts["kept"] + sum(counts["dropped"].values()) + counts["quarantined"]
    dropped = [json.loads(line) for line in (cwd / "out" / "dropped.jsonl").read_text().splitlines()]
    assert sorted(d["id"] for d in dropped) == ["blank", "nothing"]
    result = _build(["a.jsonl"], "out2", stages=[{"fix_encoding": {}}], min_words=3)
    assert result.manifest["counts"]["dropped"] == {"empty": 3}


def test_a_build_that_keeps_nothing_fails_unless_allowed(cwd):
    _jsonl(cwd / "a.jsonl", _docs(4))
    with pytest.raises(BuildError, match=r"read 4 records and kept none \(4 detect_language.lang_not_kept\)"):
        _build(["a.jsonl"], "out", stages=[{"detect_language": {"keep": ["ja"]}}])
    assert not (cwd / "out").exists()
    result = _build(["a.jsonl"], "out", stages=[{"detect_language": {"keep": ["ja"]}}], allow_empty=True)
    assert result.manifest["counts"]["kept"] == 0 and (cwd / "out" / "manifest.json").exists()


def test_duplicate_ids_across_files_are_reported(cwd):
    _jsonl(cwd / "a.jsonl", _docs(3))
    _jsonl(cwd / "b.jsonl", [{"id": "d1", "text": "Another story altogether, with words of its own in it."}])
    result = _build(["a.jsonl", "b.jsonl"], "out")
    assert result.manifest["counts"]["duplicate_ids"] == 1
    assert result.manifest["duplicate_id_examples"] == ["d1"]
    assert "1 kept documents share an id" in result.summary()
    import jsonschema

    from corpus.config import load_schema

    jsonschema.validate(result.manifest, load_schema("manifest.schema.json"))


def test_an_input_changed_while_the_build_reads_it_stops_the_build(cwd, monkeypatch):
    path = _jsonl(cwd / "a.jsonl", _docs(30))

    def touch(name: str, n: int) -> None:
        if name == "chunk_committed" and n == 0:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"id": "late", "text": "written while the build ran"}) + "\n")

    monkeypatch.setattr(local, "on_event", touch)
    with pytest.raises(BuildError, match=r"a\.jsonl: changed while the build read it"):
        Pipeline.from_config(
            {"input": {"paths": ["a.jsonl"]}, "stages": [], "output": {"path": "out"}, "checkpoint_docs": 10}
        ).build(workers=0, progress=False)
    assert not (cwd / "out").exists()


# -- 4 and 13: dataset folders as inputs, nothing absolute written -------------------------------


def test_a_saved_dataset_folder_builds_and_is_hashed_as_a_folder(cwd):
    import datasets

    datasets.Dataset.from_list(_docs(5)).save_to_disk(str(cwd / "saved"))
    result = _build(["saved"], "out")
    assert result.manifest["counts"]["kept"] == 5
    (entry,) = result.manifest["inputs"]
    assert entry["path"] == "saved" and len(entry["sha256"]) == 64


def test_nothing_written_names_an_absolute_path(cwd):
    _jsonl(cwd / "in" / "a.jsonl", _docs(3))
    (cwd / "in" / "page.html").write_text(
        "<html><head><title>T</title></head><body><article><p>"
        + "</p><p>".join(PARAGRAPHS[:4])
        + "</p></article></body></html>",
        encoding="utf-8",
    )
    _build([str(cwd / "in" / "a.jsonl"), str(cwd / "in" / "page.html")], "out")
    import pyarrow.parquet as pq

    files = [p for p in (cwd / "out").rglob("*") if p.is_file() and p.suffix != ".parquet"]
    written = b"".join(p.read_bytes() for p in files)
    assert str(cwd).encode() not in written
    sources = pq.read_table(cwd / "out" / "data" / "train-00000-of-00001.parquet")["source"].to_pylist()
    assert sorted(set(sources)) == ["in/a.jsonl", "in/page.html"]
