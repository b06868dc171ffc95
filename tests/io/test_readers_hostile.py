"""Hostile inputs against the readers (issue 13): every record before damage is kept, damage is
quarantined at the finest grain, values JSON can carry never crash a reader, unreadable inputs are
build errors, and nothing a reader yields names a path of the building machine.

Real files on a real filesystem; hand-made nasty files live in tests/data/hostile/ (see its README).
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import pytest

from corpus.document import Document, arrow_schema, to_table
from corpus.errors import BuildError
from corpus.io.read import InputFile, Quarantined, Skipped, expand_inputs, read_input

HOSTILE = Path(__file__).parents[1] / "data" / "hostile"


def read(path: Path | str, **config) -> list:
    items = []
    for f in expand_inputs([str(path)]):
        items += list(read_input(f, {"format": "auto", **config}))
    return items


def write_parquet(docs: list[Document]) -> None:
    """What the engine does with every document: an Arrow table of the schema, written as Parquet."""
    import pyarrow.parquet as pq

    pq.write_table(to_table(docs, arrow_schema()), io.BytesIO())


def split(items: list) -> tuple[list[Document], list[Quarantined], list[Skipped]]:
    docs = [i for i in items if isinstance(i, Document)]
    bad = [i for i in items if isinstance(i, Quarantined)]
    skipped = [i for i in items if isinstance(i, Skipped)]
    assert len(docs) + len(bad) + len(skipped) == len(items)
    return docs, bad, skipped


@pytest.fixture
def alarm():
    """Fail instead of hanging forever when a reader blocks (a FIFO, /dev/zero)."""

    def boom(*_):
        raise TimeoutError("the reader hung")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


# --- item 8: unreadable, missing and special inputs --------------------------------------------


def test_a_missing_input_is_a_build_error_naming_it(tmp_path):
    with pytest.raises(BuildError, match=r"absent.jsonl"):
        expand_inputs([str(tmp_path / "absent.jsonl")])


def test_a_dangling_symlink_is_a_build_error_given_or_found_in_a_folder(tmp_path):
    (tmp_path / "ok.txt").write_text("fine", encoding="utf-8")
    (tmp_path / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    with pytest.raises(BuildError, match=r"gone.txt: dangling symbolic link"):
        expand_inputs([str(tmp_path / "gone.txt")])
    with pytest.raises(BuildError, match=r"gone.txt: dangling symbolic link"):
        expand_inputs([str(tmp_path)])
    with pytest.raises(BuildError, match=r"gone.txt: dangling symbolic link"):
        expand_inputs([str(tmp_path / "*.txt")])


@pytest.mark.parametrize("kind", ["fifo", "dev-zero-link", "dev-null"])
def test_special_files_are_refused_before_reading(tmp_path, alarm, kind):
    if kind == "fifo":
        path = tmp_path / "pipe.jsonl"
        os.mkfifo(path)
    elif kind == "dev-zero-link":
        path = tmp_path / "zero.txt"
        path.symlink_to("/dev/zero")
    else:
        path = Path("/dev/null")
    with pytest.raises(BuildError, match="not a regular file"):
        expand_inputs([str(path)])
    if kind != "dev-null":
        with pytest.raises(BuildError, match="not a regular file"):
            expand_inputs([str(tmp_path)])


def test_a_symlink_loop_is_followed_once_and_each_file_read_once(tmp_path):
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.txt").write_text("alpha", encoding="utf-8")
    (root / "b.txt").write_text("beta", encoding="utf-8")
    (root / "sub" / "loop").symlink_to(root)  # in/sub/loop -> in
    (root / "self").symlink_to(".")  # in/self -> in
    (root / "a-link").symlink_to(root / "sub")  # sorts before sub/: still read as sub/a.txt
    for pattern in (root, root / "**" / "*.txt"):
        files = expand_inputs([str(pattern)])
        assert [f.path.rsplit("/in/", 1)[1] for f in files] == ["b.txt", "sub/a.txt"]


def test_a_file_gone_between_listing_and_reading_is_a_build_error(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "hi"}\n', encoding="utf-8")
    (f,) = expand_inputs([str(path)])
    path.unlink()
    with pytest.raises(BuildError, match=r"x.jsonl"):
        list(read_input(f, {}))


PROBE = """
import os
from corpus.errors import BuildError
from corpus.io.read import expand_inputs
if os.geteuid() == 0:  # root reads a chmod 000 file: drop to nobody once the modules are loaded
    os.setgid({uid})
    os.setuid({uid})
try:
    expand_inputs([{pattern!r}])
except BuildError as exc:
    print("BuildError:", exc)
"""


def as_unprivileged(pattern: str, cwd: Path) -> subprocess.CompletedProcess:
    """``expand_inputs([pattern])`` in a child Python that, under root, runs as user nobody, so
    that file permissions really apply."""
    try:
        uid = pwd.getpwnam("nobody").pw_uid
    except KeyError:
        if os.geteuid() == 0:
            pytest.skip("tests run as root and there is no user nobody to drop to: permissions do not apply")
        uid = os.geteuid()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    code = PROBE.format(uid=uid, pattern=pattern)
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True)


def test_permission_denied_is_a_build_error():
    root = Path(tempfile.mkdtemp(prefix="corpus-perm-"))  # not under pytest's 0700 tmp: nobody must reach it
    try:
        root.chmod(0o755)
        (root / "secret.txt").write_text("x", encoding="utf-8")
        (root / "secret.txt").chmod(0)
        (root / "open").mkdir()
        (root / "open" / "a.txt").write_text("x", encoding="utf-8")
        (root / "open" / "shut").mkdir()
        (root / "open" / "shut" / "b.txt").write_text("x", encoding="utf-8")
        (root / "open" / "shut").chmod(0)
        for pattern, expected in (
            ("secret.txt", "secret.txt: cannot open: Permission denied"),
            ("open", "cannot read directory open/shut: Permission denied"),
            ("open/**/*.txt", "cannot read directory open/shut: Permission denied"),
        ):
            run = as_unprivileged(pattern, root)
            assert run.returncode == 0, run.stderr
            assert run.stdout.startswith("BuildError:") and expected in run.stdout, run.stdout
    finally:
        (root / "open" / "shut").chmod(0o755)
        shutil.rmtree(root)


def test_an_absolute_input_is_recorded_relative_and_a_relative_one_as_written(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    page = tmp_path / "data" / "page.html"
    body = "A real sentence here. " * 20
    page.write_text(f"<html><body><article><p>{body}</p></article></body></html>", encoding="utf-8")
    (tmp_path / "data" / "d.jsonl").write_text('{"text": "hello"}\n', encoding="utf-8")
    (f,) = expand_inputs([str(page)], relative_to=str(tmp_path))
    assert f.path == page.as_posix() and f.name == "data/page.html"
    (doc,) = read_input(f, {})
    assert doc.source == "data/page.html"
    monkeypatch.chdir(tmp_path)
    (f,) = expand_inputs(["./data//d.jsonl"])
    assert f.name == "data/d.jsonl"
    (doc,) = read_input(f, {})
    assert doc.source == "data/d.jsonl"
    assert InputFile(path="x.txt", id_prefix="x").name == "x.txt"


# --- item 5: values JSON can carry that Python or Parquet cannot -------------------------------


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def good(i: int) -> str:
    return json.dumps({"id": f"g{i}", "text": f"good document {i}"})


def test_a_huge_integer_quarantines_its_line_only_with_the_right_line_number(tmp_path):
    huge = '{"id": "big", "text": "t", "n": ' + "9" * 5000 + "}"
    path = write_lines(tmp_path / "big.jsonl", [good(1), huge, good(3), good(4)])
    docs, bad, _ = split(read(path))
    assert [d.id for d in docs] == ["g1", "g3", "g4"]
    (q,) = bad
    assert q.line == 2 and "integer with 5000 digits" in q.error


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_nan_and_infinities_are_quarantined_per_line(tmp_path, token):
    path = write_lines(tmp_path / "nan.jsonl", [good(1), f'{{"text": "t", "score": {token}}}', good(3)])
    docs, bad, _ = split(read(path))
    assert [d.id for d in docs] == ["g1", "g3"]
    (q,) = bad
    assert q.line == 2 and token.lstrip("-") in q.error


def test_deep_nesting_is_quarantined_per_line(tmp_path):
    deep = '{"text": "t", "m": ' + "[" * 100_000 + "]" * 100_000 + "}"
    path = write_lines(tmp_path / "deep.jsonl", [good(1), deep, good(3)])
    docs, bad, _ = split(read(path))
    assert [d.id for d in docs] == ["g1", "g3"] and bad[0].line == 2 and "nested" in bad[0].error


# --- item 3: lone surrogates --------------------------------------------------------------------


@pytest.mark.parametrize("field", ["id", "url", "source", "title", "meta-key", "nested"])
def test_a_lone_surrogate_outside_the_text_quarantines_the_record_naming_the_field(tmp_path, field):
    record = {"id": "x", "text": "fine text"}
    if field == "meta-key":
        record["bad\ud800key"] = 1
    elif field == "nested":
        record["title"] = {"deep": ["ok", "bad\udfff"]}
    else:
        record[field] = "bad\ud800"
    line = json.dumps(record)  # ensure_ascii: the surrogate is the escape \ud800 in the file
    path = write_lines(tmp_path / "s.jsonl", [good(1), line, good(3)])
    docs, bad, _ = split(read(path))
    assert [d.id for d in docs] == ["g1", "g3"]
    (q,) = bad
    name = {"meta-key": "bad\\ud800key", "nested": "title"}.get(field, field)
    assert q.line == 2 and f"field {name!r} holds a lone surrogate U+D" in q.error
    q.error.encode("utf-8") and q.raw.encode("utf-8")  # the report itself is writable


@pytest.mark.parametrize("policy", ["repair", "replace", "strict"])
def test_a_lone_surrogate_in_the_text_follows_the_encoding_policy(tmp_path, policy):
    path = write_lines(tmp_path / "t.jsonl", [json.dumps({"id": "a", "text": "caf\udce9 au lait"})])
    (item,) = read(path, encoding_errors=policy)
    if policy == "strict":
        assert isinstance(item, Quarantined) and "field 'text' holds a lone surrogate U+DCE9" in item.error
    else:
        assert isinstance(item, Document)
        assert item.text == "caf\ufffd au lait" and item.meta["invalid_utf8"] is True
        write_parquet([item])  # the Parquet writer's input: crashed on the surrogate before


def test_surrogates_from_csv_parquet_and_hf_never_leave_a_reader(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datasets import Dataset

    # Arrow refuses to hold a lone surrogate, so a table cannot carry one; a JSON string column
    # (``meta``) can, as an escape that json.loads turns into one.
    meta = json.dumps({"note": "bad\ud800"})
    rows = {"id": ["a", "b"], "text": ["one", "two"], "meta": ["{}", meta]}
    pq.write_table(pa.table(rows), tmp_path / "t.parquet")
    Dataset.from_dict(rows).save_to_disk(str(tmp_path / "hf"))
    (tmp_path / "t.csv").write_text(
        f'id,text,meta\na,one,{{}}\nb,two,"{meta.replace(chr(34), 2 * chr(34))}"\n'
    )
    for name in ("t.parquet", "hf", "t.csv"):
        docs, bad, _ = split(read(tmp_path / name))
        assert [d.id for d in docs] == ["a"], name
        assert "field 'note' holds a lone surrogate U+D800" in bad[0].error, name
        write_parquet(docs)


# --- item 9: records before damage ---------------------------------------------------------------


def test_a_nul_byte_in_the_head_of_a_jsonl_or_csv_quarantines_only_its_line(tmp_path):
    lines = [good(i).encode() for i in range(1, 6)]
    lines[1] = b'{"id": "g2", "text": "nul \x00 here"}'
    (tmp_path / "n.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    docs, bad, _ = split(read(tmp_path / "n.jsonl"))
    assert [d.id for d in docs] == ["g1", "g3", "g4", "g5"]
    assert [q.line for q in bad] == [2] and "NUL" in bad[0].error
    (tmp_path / "n.csv").write_bytes(b"id,text\na,one\nb,t\x00wo\nc,three\n")
    docs, bad, _ = split(read(tmp_path / "n.csv"))
    assert [d.id for d in docs] == ["a", "c"] and [q.line for q in bad] == [3]
    (tmp_path / "n.txt").write_bytes(b"text with a \x00 NUL")  # one document per file: still binary
    (q,) = read(tmp_path / "n.txt")
    assert isinstance(q, Quarantined) and "binary" in q.error


def test_a_line_file_that_is_really_binary_is_still_one_quarantined_file(tmp_path):
    utf16 = "\n".join(good(i) for i in range(50)).encode("utf-16-le")  # no byte order mark: NUL-heavy
    (tmp_path / "u.jsonl").write_bytes(utf16)
    (tmp_path / "img.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    for name in ("u.jsonl", "img.csv"):
        (q,) = read(tmp_path / name)
        assert isinstance(q, Quarantined) and q.line is None and "binary" in q.error


def records(n: int = 3000) -> bytes:
    return b"".join(
        json.dumps({"id": f"r{i}", "text": f"record {i} " * (i % 9 + 1)}).encode() + b"\n" for i in range(n)
    )


def compress(kind: str, data: bytes) -> bytes:
    if kind == "gz":
        return gzip.compress(data, mtime=0)
    if kind == "bz2":
        return bz2.compress(data, compresslevel=1)  # 100 kB blocks: a cut keeps whole blocks
    if kind == "xz":
        return lzma.compress(data)
    import zstandard

    return zstandard.ZstdCompressor().compress(data)


def recoverable(kind: str, cut: bytes) -> int:
    """Complete lines a decompressor can get out of a truncated stream (counted independently)."""
    if kind == "gz":
        out = zlib.decompressobj(wbits=31).decompress(cut)
    elif kind == "bz2":
        out = bz2.BZ2Decompressor().decompress(cut)
    elif kind == "xz":
        out = lzma.LZMADecompressor().decompress(cut)
    else:
        import zstandard

        out = zstandard.ZstdDecompressor().decompressobj().decompress(cut)
    return out.count(b"\n")


@pytest.mark.parametrize("kind", ["gz", "zst", "bz2", "xz"])
@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_every_record_before_stream_damage_is_kept(tmp_path, kind, damage):
    data = records()
    whole = compress(kind, data)
    if damage == "garbage":
        blob, expected, offset = whole + b"GARBAGE after the stream\n" * 4, 3000, len(whole)
    else:
        blob = whole[: len(whole) * 2 // 3]
        expected, offset = recoverable(kind, blob), len(blob)
    path = tmp_path / f"d.jsonl.{kind}"
    path.write_bytes(blob)
    docs, bad, _ = split(read(path))
    assert [d.id for d in docs] == [f"r{i}" for i in range(expected)]
    (q,) = bad
    assert q.line is None and q.offset == offset and f"after {expected} records" in q.error
    if damage == "truncated":
        assert expected > 0 and "truncated" in q.error


def test_a_damaged_stream_in_csv_keeps_complete_rows_and_not_the_cut_one(tmp_path):
    rows = b"id,text\n" + b"".join(b"r%d,row number %d\n" % (i, i) for i in range(3000))
    whole = gzip.compress(rows, mtime=0)
    cut = whole[: len(whole) // 2]
    (tmp_path / "c.csv.gz").write_bytes(cut)
    docs, bad, _ = split(read(tmp_path / "c.csv.gz"))
    assert len(docs) == recoverable("gz", cut) - 1  # minus the header
    assert [d.id for d in docs] == [f"r{i}" for i in range(len(docs))]
    assert len(bad) == 1 and bad[0].line is None


# --- item 4 (reader side): Hugging Face dataset folders as input ---------------------------------


def hf_folders(root: Path) -> dict[str, Path]:
    """The three folder layouts, made by the real datasets library."""
    from datasets import Dataset, DatasetDict

    rows = {
        "id": ["a", "b", "c"],
        "text": ["alpha text", "beta text", "gamma text"],
        "url": ["u1", "u2", "u3"],
    }
    ds = Dataset.from_dict(rows)
    ds.save_to_disk(str(root / "single"))
    DatasetDict({"train": ds.select([0, 1]), "test": ds.select([2])}).save_to_disk(str(root / "dict"))
    (root / "hub" / "data").mkdir(parents=True)
    (root / "hub" / "README.md").write_text("---\nlicense: cc0-1.0\n---\n", encoding="utf-8")
    ds.to_parquet(str(root / "hub" / "data" / "train-00000-of-00001.parquet"))
    return {"single": root / "single", "dict": root / "dict", "hub": root / "hub"}


@pytest.mark.parametrize("fmt", ["auto", "hf"])
def test_hf_dataset_folders_are_read_as_file_or_directory_patterns(tmp_path, monkeypatch, fmt):
    folders = hf_folders(tmp_path / "in")
    monkeypatch.chdir(tmp_path)
    for layout in folders:
        for pattern in (f"in/{layout}", f"in/{layout}/", f"in/{layout}*"):
            (f,) = expand_inputs([pattern])
            assert f.name == f"in/{layout}"
            docs, bad, _ = split(list(read_input(f, {"format": fmt})))
            assert not bad and sorted(d.text for d in docs) == ["alpha text", "beta text", "gamma text"]
            assert {d.id for d in docs} == {"a", "b", "c"} and all(d.source == f"in/{layout}" for d in docs)
    files = expand_inputs(["in"])  # a directory holding the three folders: three inputs
    assert [f.name for f in files] == ["in/dict", "in/hub", "in/single"]
    assert len(expand_inputs(["in/**/*"])) == 3  # the folders' own files are not inputs again


@pytest.mark.parametrize("listed", ["../outside.arrow", "ABSOLUTE", "data/../../outside.arrow"])
def test_state_json_paths_outside_the_folder_are_refused(tmp_path, listed):
    import shutil

    folder = hf_folders(tmp_path)["single"]
    state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
    arrow = folder / state["_data_files"][0]["filename"]
    shutil.copy(arrow, tmp_path / "outside.arrow")
    target = str(tmp_path / "outside.arrow") if listed == "ABSOLUTE" else listed
    state["_data_files"] = [{"filename": target}]
    (folder / "state.json").write_text(json.dumps(state), encoding="utf-8")
    items = read(folder)
    assert len(items) == 1 and isinstance(items[0], Quarantined)
    assert "refused" in items[0].error and items[0].path.endswith("single")


def test_dataset_dict_splits_outside_the_folder_are_refused(tmp_path):
    folder = hf_folders(tmp_path)["dict"]
    (folder / "dataset_dict.json").write_text(
        json.dumps({"splits": ["train", "../single"]}), encoding="utf-8"
    )
    items = read(folder)
    assert len(items) == 1 and "outside the dataset folder; refused" in items[0].error


# --- WARC: records left out by design are Skipped, ids unique per record -------------------------


def test_a_crawl_warc_is_classified_record_by_record(monkeypatch):
    monkeypatch.chdir(HOSTILE)
    items = read("crawl-mixed.warc.gz")
    docs, bad, skipped = split(items)
    assert len(items) == 12 and not bad  # one item per record, none "unreadable"
    reasons: dict[str, int] = {}
    for s in skipped:
        reasons[s.reason] = reasons.get(s.reason, 0) + 1
        assert s.path == "crawl-mixed.warc.gz" and s.offset is not None and s.line is None
    assert reasons == {
        "warc_warcinfo": 1,
        "warc_request": 1,
        "warc_not_text": 3,  # CSS, JavaScript, PNG
        "warc_redirect": 1,
        "warc_revisit": 1,
        "warc_metadata": 1,
        "warc_crawler_log": 2,  # wget.log, MANIFEST.txt
    }
    assert [d.url for d in docs] == ["https://harbour.example/", "https://harbour.example/robots.txt"]
    assert docs[0].text.startswith("Harbour reopens") and "Home | About" not in docs[0].text
    ids = [d.id for d in docs]
    assert len(set(ids)) == 2 and ids[0] == "urn:uuid:dup"  # the record id repeats in the file
    assert ids == [d.id for d in split(read("crawl-mixed.warc.gz"))[0]]  # and ids are stable
    assert all(d.source == "crawl-mixed.warc.gz" for d in docs)
    assert {**skipped[0].to_dict(), "offset": 0} == {
        "file": "crawl-mixed.warc.gz",
        "line": None,
        "reason": "warc_warcinfo",
        "offset": 0,
    }
