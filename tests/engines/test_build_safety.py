"""A build never deletes what the user owns, never mixes two builds, and accounts for every record.

Issue #13, items 1, 2, 4 (engine side), 10 (work directories), 13 and the accounting promises.
Every test runs the real engine on real files in a temporary folder.
"""

from __future__ import annotations

import json
import os
import pickle
import re
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
    with pytest.raises(BuildError, match=r"\.out\.work: exists and is not a work folder of this toolkit"):
        _build(["a.jsonl"], "out")
    assert not (cwd / "PWNED").exists()
    from corpus.engines.work import WorkFolder
    from corpus.io.fs import Location

    WorkFolder(Location(cwd / "out")).remove()  # what a build does with a work folder it is done with
    assert (work / "chunk-000000.pkl").exists()  # not ours: never deleted
    (work / "run.json").write_text("{}", encoding="utf-8")  # a stale run of ours: started afresh
    _build(["a.jsonl"], "out")
    assert not (cwd / "PWNED").exists()
    assert json.loads((cwd / "out" / "manifest.json").read_text(encoding="utf-8"))["counts"]["kept"] == 3


def test_a_pickle_planted_beside_committed_blocks_is_never_loaded(cwd, monkeypatch):
    """A work folder of the same run, resumed: files it does not name are ignored, never unpickled."""
    _jsonl(cwd / "a.jsonl", _docs(30))

    def stop(name: str, n: int) -> None:
        if name == "block_mapped" and n == 1:
            raise KeyboardInterrupt

    config = {"input": {"paths": ["a.jsonl"]}, "stages": [{"exact_dedup": {}}], "output": {"path": "out"}}
    config["block_size"] = 4000

    def build():
        return Pipeline.from_config(config).build(workers=0, progress=False)

    monkeypatch.setattr(local, "on_event", stop)
    with pytest.raises(KeyboardInterrupt):
        build()
    work = cwd / ".out.work"
    for name in ("map/block-000002.pkl", "map/block-000002.pickle", "decide/done.pkl", "checkpoint.pkl"):
        (work / name).parent.mkdir(exist_ok=True)
        (work / name).write_bytes(pickle.dumps(_Planted()))
    monkeypatch.setattr(local, "on_event", None)
    result = build()
    assert result.resumed == 2 and result.resumed_unit == "blocks"
    assert not (cwd / "PWNED").exists()
    assert not work.exists()


def _killed_work(cwd: Path, point: str, monkeypatch) -> Path:
    """The work folder of a build stopped (Ctrl-C) right after ``point``; made once per point."""

    def stop(name: str, n: int) -> None:
        if (name, n) == (point, 1 if point == "block_mapped" else 0):
            raise KeyboardInterrupt

    monkeypatch.setattr(local, "on_event", stop)
    with pytest.raises(KeyboardInterrupt):
        Pipeline.from_config(_FORGE_CONFIG).build(workers=0, progress=False)
    monkeypatch.setattr(local, "on_event", None)
    return cwd / ".out.work"


_FORGE_CONFIG = {
    "input": {"paths": ["a.jsonl"]},
    # exact dedup keeps a raw digest, near dedup a uint32 signature, tag_odd_length an int (JSON)
    "stages": [{"tag_odd_length": {}}, {"exact_dedup": {}}, {"near_dedup": {}}],
    "output": {"path": "out"},
    "block_size": 4000,
}


def _rewrite_parquet(path: Path, column: str, values: list) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = pq.read_table(path)
    t = t.set_column(t.schema.get_field_index(column), column, pa.array(values, t.schema.field(column).type))
    pq.write_table(t, path)


def _forge_object_dtype(path: Path) -> None:
    import pyarrow.parquet as pq

    steps = [s.name for s in Pipeline.from_config(_FORGE_CONFIG).worker_steps]
    column = f"key{steps.index('tag_odd_length')}"
    keys = pq.read_table(path, columns=[column])[column].to_pylist()
    assert {json.loads(k) for k in keys if k is not None} == {0, 1}
    forged = json.dumps({"a": ["object", [1], "AAAA"]}).encode()  # not a dtype we write
    _rewrite_parquet(path, column, [forged if k is not None else None for k in keys])


def _pickle(path: Path) -> None:
    path.write_bytes(pickle.dumps(_Planted()))


def _shape(value: object):
    return lambda path: path.write_text(json.dumps(value), encoding="ascii")


def _forge_fate(path: Path) -> None:
    import pyarrow.parquet as pq

    n = pq.read_metadata(path).num_rows
    assert n, "block 1 should have decisions to forge"
    _rewrite_parquet(path, "fate", [b'["doc", [1, 2, 3, 4, 5, 6, 7]]'] * n)


@pytest.mark.usefixtures("toy_stages")
@pytest.mark.parametrize(
    ("point", "name", "forge"),
    [
        ("block_mapped", "map/block-000000.parquet", _pickle),
        ("block_mapped", "map/block-000000.parquet", _forge_object_dtype),
        ("block_mapped", "map/block-000000.json", _pickle),
        ("block_mapped", "map/block-000001.json", _shape({"block": 1, "read": "many"})),
        ("block_written", "map/block-000001.parquet", _pickle),
        ("block_written", "decide/done.json", _shape({"form": ["here"]})),
        ("block_written", "decide/block-000001.parquet", _pickle),
        ("block_written", "decide/block-000001.parquet", _forge_fate),
        ("block_written", "write/block-000000.json", _shape({"block": 0, "kept": 1})),
        ("block_written", "ids/block-000000.parquet", _pickle),
    ],
    ids=lambda v: getattr(v, "__name__", None) if callable(v) else None,
)
def test_work_folder_parts_are_parquet_and_json_and_a_forged_one_is_refused(
    cwd, monkeypatch, point, name, forge
):
    _jsonl(cwd / "a.jsonl", _docs(30))
    work = _killed_work(cwd, point, monkeypatch)
    files = sorted(p.relative_to(work).as_posix() for p in work.rglob("*") if p.is_file())
    # decide/saved/ holds what a step saves for later builds (the near index: .npy + .json), copied
    # into the output byte for byte; everything the build reads back is Parquet or JSON
    read_back = [f for f in files if not f.startswith("decide/saved/")]
    assert {Path(f).suffix for f in read_back} <= {".json", ".parquet", ".jsonl"}, files
    assert {"run.json", "plan.json", "map/block-000000.json", "map/block-000001.parquet"} <= set(files)
    assert name in files
    forge(work / name)
    with pytest.raises(BuildError, match=re.escape(name)):
        Pipeline.from_config(_FORGE_CONFIG).build(workers=0, progress=False)
    assert not (cwd / "PWNED").exists()
    assert not (cwd / "out").exists()


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
        if name == "block_mapped" and n == 0:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"id": "late", "text": "written while the build ran"}) + "\n")

    monkeypatch.setattr(local, "on_event", touch)
    with pytest.raises(BuildError, match=r"a\.jsonl: changed while the build read it"):
        Pipeline.from_config(
            {"input": {"paths": ["a.jsonl"]}, "stages": [], "output": {"path": "out"}, "block_size": 4000}
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
