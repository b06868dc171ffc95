"""Property tests: random bytes and random structured garbage never crash a reader or a build,
and every record comes out as exactly one item (a Document or a Quarantined)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from corpus import Document, Pipeline
from corpus.document import arrow_schema, to_table
from corpus.io.read import Quarantined, Skipped, expand_inputs, read_input

SUFFIXES = [
    ".txt",
    ".jsonl",
    ".csv",
    ".tsv",
    ".html",
    ".warc",
    ".warc.gz",
    ".parquet",
    ".txt.gz",
    ".jsonl.zst",
]
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Bytes that are often special to some reader, mixed into otherwise random bytes.
TOKENS = [b"\n", b"\r\n", b"\x00", b'"', b",", b"\t", b"{", b"}", b"<p>", b"WARC/1.0\r\n", b"\x1f\x8b\x08"]
TOKENS += [b"\xe9", b"\xc3", b"\xff\xfe", b"Content-Length: 5\r\n", b"text", b"\xef\xbb\xbf"]
noisy_bytes = st.lists(st.one_of(st.binary(max_size=40), st.sampled_from(TOKENS)), max_size=40).map(b"".join)


def read_path(path: Path, **config) -> list:
    items = []
    for f in expand_inputs([str(path)]):
        items += list(read_input(f, config))
    assert all(isinstance(i, (Document, Quarantined, Skipped)) for i in items)
    return items


def write_raw(folder: Path, suffix: str, data: bytes) -> Path:
    path = folder / f"input{suffix}"
    if suffix.endswith(".gz"):
        data = gzip.compress(data)[: max(10, len(data))]  # sometimes cut short
    elif suffix.endswith(".zst"):
        import zstandard

        data = zstandard.ZstdCompressor().compress(data)
    path.write_bytes(data)
    return path


@FAST
@given(data=noisy_bytes, suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_never_escape_a_reader(data, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        items = read_path(write_raw(Path(tmp), suffix, data))
        assert items, "every file yields at least one item (a record or the reason it has none)"


# No NUL characters: a NUL byte in the first 8 KiB marks a file as binary (tested elsewhere).
chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(chars, max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
# Objects using the Document's own field names, with values of any type.
field_names = st.sampled_from(["text", "id", "url", "source", "lang", "lang_score", "meta", "title"])
records = st.dictionaries(field_names, json_values, max_size=5)
jsonl_line = st.one_of(
    st.builds(lambda t, i: json.dumps({"text": t, "id": i}), st.text(chars, max_size=30), json_values),
    records.map(json.dumps),
    json_values.map(json.dumps),
    st.text(chars, max_size=30).filter(lambda s: "\n" not in s and "\r" not in s),
)


@FAST
@given(lines=st.lists(jsonl_line, min_size=1, max_size=15))
def test_jsonl_garbage_gives_one_item_per_non_blank_line(lines):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "g.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        items = read_path(path)
        records = [line for line in lines if line.encode().strip()]  # blank = ASCII whitespace
        assert len(items) == (len(records) or 1)


# Hostile pieces of a JSONL line (issue 13): values JSON can carry that Python, UTF-8 or Parquet
# cannot, raw NUL bytes, broken UTF-8, nesting deeper than the parser's recursion limit.
HOSTILE_VALUES = [
    b"9" * 4301, b"-" + b"1" * 5000, b"NaN", b"Infinity", b"-Infinity", b"1e999", b'"\\ud800"',
    b'"a\\udfffb"', b'"\\ud83d\\ude00"', b"[" * 3000 + b"]" * 3000, b'"\xff\xfe bad utf-8"', b'"\x00"',
    b'"caf\xe9"', b"null", b'{"meta": "{\\"k\\": \\"\\udc80\\"}"}',
]  # fmt: skip
hostile_value = st.one_of(st.sampled_from(HOSTILE_VALUES), json_values.map(lambda v: json.dumps(v).encode()))
hostile_key = st.sampled_from([b"text", b"id", b"url", b"source", b"meta", b"title", b"\\ud800"])
hostile_line = st.one_of(
    st.lists(st.tuples(hostile_key, hostile_value), max_size=4).map(
        lambda kv: b"{" + b", ".join(b'"' + k + b'": ' + v for k, v in kv) + b"}"
    ),
    st.tuples(hostile_value, hostile_value).map(lambda tv: b'{"text": ' + tv[0] + b', "id": ' + tv[1] + b"}"),
    st.binary(max_size=30).filter(lambda b: b"\n" not in b),
)


@FAST
@given(lines=st.lists(hostile_line, min_size=1, max_size=12))
@example(lines=[b"\xfe\xff", b"{}"])  # a UTF-16 byte order mark: the whole file is refused
@example(lines=[b"\xff\xfe{}", b"{}"])
def test_hostile_jsonl_never_escapes_and_every_document_is_writable(lines):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "h.jsonl"
        data = b"\n".join(lines) + b"\n"
        path.write_bytes(data)
        items = read_path(path)
        records = [line for line in lines if line.strip()]
        whole = len(items) == 1 and isinstance(items[0], Quarantined) and items[0].line is None
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 is refused as a file, not line by line
            assert whole and "UTF-16 text (byte order mark) is not supported" in items[0].error
        else:
            binary = whole and "binary" in items[0].error
            assert len(items) == (len(records) or 1) or (binary and b"\x00" in data)
        docs = [i for i in items if isinstance(i, Document)]
        for doc in docs:
            json.dumps(doc.to_dict(), ensure_ascii=False).encode("utf-8")  # no lone surrogate
        for q in items:
            if isinstance(q, Quarantined):
                json.dumps(q.to_dict(), ensure_ascii=False).encode("utf-8")  # the report is writable
        to_table(docs, arrow_schema())


cell = st.text(chars, max_size=12)


@FAST
@given(rows=st.lists(st.lists(cell, min_size=1, max_size=4), min_size=1, max_size=12))
def test_csv_garbage_gives_one_item_per_row(rows):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "g.csv"
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["id", "text"])
        writer.writerows(rows)
        path.write_text(buf.getvalue(), encoding="utf-8", newline="")
        items = read_path(path)
        assert len(items) == len(rows)
        for row, item in zip(rows, items, strict=True):
            assert isinstance(item, Document) == (len(row) == 2)


def warc_record(body: bytes, kind: str) -> bytes:
    head = (
        b"WARC/1.0\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:uuid:%d>\r\n"
        b"WARC-Target-URI: file:///x\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
    ) % (len(body), len(body))
    if kind == "bad_length":
        head = head.replace(b"Content-Length: ", b"Content-Length: x")
    elif kind == "bad_version":
        head = head.replace(b"WARC/1.0", b"WARX/1.0")
    return head + body + b"\r\n\r\n"


warc_body = st.binary(max_size=60).filter(lambda b: b"\nWARC" not in b and b"\r\nWARC-Type:" not in b)


@FAST
@given(
    records=st.lists(
        st.tuples(warc_body, st.sampled_from(["ok", "ok", "bad_length", "bad_version"])), max_size=6
    ),
    gz=st.booleans(),
)
def test_warc_garbage_gives_one_item_per_record(records, gz):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("g.warc.gz" if gz else "g.warc")
        parts = [warc_record(body, kind) for body, kind in records]
        path.write_bytes(b"".join(gzip.compress(p) for p in parts) if gz else b"".join(parts))
        items = read_path(path)
        assert len(items) == (len(records) or 1)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    files=st.lists(st.tuples(st.sampled_from(SUFFIXES), noisy_bytes), min_size=1, max_size=4),
    dedup=st.booleans(),
)
def test_a_build_over_garbage_never_crashes_and_accounting_closes(files, dedup):
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in"
        src.mkdir()
        expected = 0
        for i, (suffix, data) in enumerate(files):
            sub = src / str(i)
            sub.mkdir()
            expected += len(read_path(write_raw(sub, suffix, data)))
        config = {
            "input": {"paths": [str(src)]},
            "stages": [{"exact_dedup": {}}] if dedup else [],
            "output": {"path": str(Path(tmp) / "out"), "allow_empty": True},
        }
        counts = Pipeline.from_config(config).build(workers=0, progress=False).manifest["counts"]
        assert counts["read"] == expected
        assert counts["read"] == accounted(counts)


@pytest.mark.parametrize("fmt", ["text", "jsonl", "csv", "html", "warc", "parquet", "hf"])
def test_every_format_name_reads_a_foreign_file_without_crashing(tmp_path, fmt):
    path = tmp_path / "page.html"
    path.write_text("<html><body><p>Hello</p></body></html>", encoding="utf-8")
    assert read_path(path, format=fmt)


def accounted(counts: dict) -> int:
    """kept + dropped + quarantined + skipped by design (the last once the engine counts it)."""
    skipped = counts.get("skipped") or {}
    skipped = sum(skipped.values()) if isinstance(skipped, dict) else int(skipped)
    return counts["kept"] + sum(counts["dropped"].values()) + counts["quarantined"] + skipped


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(jsonl_line, min_size=1, max_size=10), dedup=st.booleans())
def test_a_build_over_structured_garbage_writes_valid_shards(lines, dedup):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "g.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        config = {
            "input": {"paths": [str(path)]},
            "stages": [{"exact_dedup": {}}] if dedup else [],
            "output": {"path": str(Path(tmp) / "out"), "allow_empty": True},
        }
        counts = Pipeline.from_config(config).build(workers=0, progress=False).manifest["counts"]
        assert counts["read"] == len(read_path(path))
        assert counts["read"] == accounted(counts)
