"""Reading in blocks (corpus.io.read.blocks): for any files and any target size, the blocks of
plan_blocks read by read_block give exactly the items read_input gives, in order; tiny targets
cut JSONL, paragraphs, WARC and Parquet files into many blocks, with edges in the middle of lines,
CRLF pairs, UTF-8 characters and WARC records. Fixtures: tests/data, the readers' own test files
(tests/io/test_formats.py, test_readers_hostile.py) and the head of ../shared/bench."""

from __future__ import annotations

import bz2
import functools
import gzip
import io
import json
import lzma
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus.io.read import Quarantined, expand_inputs, read_input
from corpus.io.read.blocks import Block, plan_blocks, plan_file, read_block
from tests.conftest import ROOT, shared_path
from tests.io.test_formats import FORMATS, PAGE, csv_rows, warc_records, write_parquet
from tests.io.test_readers_hostile import compress, hf_folders, records

DATA = ROOT / "tests" / "data"
TARGETS = (1, 7, 100, 4096, 1 << 25)


def zst(data: bytes) -> bytes:
    import zstandard

    return zstandard.ZstdCompressor().compress(data)


def assert_blocks_read_alike(paths: list[Path], config: dict, targets=TARGETS) -> list[int]:
    """The contract for each target; the number of blocks each target made."""
    files = expand_inputs([str(p) for p in paths])
    whole = [item for f in files for item in read_input(f, config)]
    counts = []
    for target in targets:
        blocks = plan_blocks(files, config, target)
        got = [item for b in blocks for item in read_block(b, files, config)]
        assert len(got) == len(whole), f"target {target}: {len(got)} items, read_input gives {len(whole)}"
        for n, (a, b) in enumerate(zip(got, whole, strict=True)):
            assert a == b, f"target {target}, item {n}: {a!r} != {b!r}"
        counts.append(len(blocks))
    return counts


def jsonl_fixture() -> bytes:
    """The repository's JSONL fixtures, then a blank line, a CRLF line and a bad one."""
    parts = [p.read_bytes() for p in sorted(DATA.glob("**/*.jsonl"))]
    return b"".join(p if p.endswith(b"\n") else p + b"\n" for p in parts) + b"\n \r\n{not json\n"


def paragraphs_fixture() -> bytes:
    article = (ROOT / "data" / "sample" / "pompeo-nagorno-karabakh.txt").read_bytes()
    return b"\n\n" + article + b"\n \t\n\n" + article.replace(b"\n", b"\r\n") + b"\r\n\r\nlast, no newline"


@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2", ".xz", ".zst"])
def test_jsonl_fixtures_in_many_blocks(tmp_path, suffix):
    data = jsonl_fixture()
    blob = {"": data, ".gz": gzip.compress(data), ".bz2": bz2.compress(data), ".xz": lzma.compress(data)}
    path = tmp_path / f"all.jsonl{suffix}"
    path.write_bytes(blob[suffix] if suffix in blob else zst(data))
    lines = data.count(b"\n")
    counts = assert_blocks_read_alike([path], {})
    assert counts[0] > lines * 3 // 4 and counts[-1] == 1, counts
    if not suffix:  # the line edges are the file's: ids made of line numbers (quarantine lines) agree
        assert_blocks_read_alike([path], {"id_field": "none", "max_document_bytes": 200}, (1, 300))


@pytest.mark.parametrize("suffix", ["", ".gz", ".zst"])
@pytest.mark.parametrize("limit", [None, 150])
def test_paragraphs_in_many_blocks(tmp_path, suffix, limit):
    data = paragraphs_fixture()
    path = tmp_path / f"article.txt{suffix}"
    path.write_bytes({"": data, ".gz": gzip.compress(data)}.get(suffix) or zst(data))
    config = {"split": "paragraphs"} | ({"max_document_bytes": limit} if limit else {})
    counts = assert_blocks_read_alike([path], config)
    assert counts[0] >= 15 and counts[-1] == 1, counts


@pytest.mark.parametrize("gz", [False, True])
def test_warc_in_record_blocks(tmp_path, gz):
    recs = warc_records(gz)
    broken = list(recs)
    broken[3] = warc_records(False)[3].replace(b"Content-Length: ", b"Content-Length: x", 1)
    broken[4] = warc_records(False)[4].replace(b"WARC/1.0", b"WARX/1.0", 1)
    if gz:
        broken[3:5] = [gzip.compress(r) for r in broken[3:5]]
    # the page's record twice (one id, made unique with @offset): the records between stay together
    (tmp_path / "crawl.warc").write_bytes(b"".join([*recs, recs[2], *warc_records(gz)]))
    (tmp_path / "broken.warc").write_bytes(b"".join(broken))
    (tmp_path / "cut.warc").write_bytes(b"".join(recs)[:-40])
    for name in ("crawl.warc", "broken.warc", "cut.warc"):
        path = tmp_path / (name + ".gz" if gz else name)
        if gz:
            path.write_bytes((tmp_path / name).read_bytes())
        counts = assert_blocks_read_alike([path], {}, (1, 1000, 1 << 25))
        assert counts[0] >= 3 and counts[-1] == 1, (name, counts)
    unique = tmp_path / ("unique.warc.gz" if gz else "unique.warc")
    unique.write_bytes(b"".join(recs))
    assert assert_blocks_read_alike([unique], {}, (1,)) == [len(recs)]


def test_a_crawl_warc_sharing_an_id_between_two_records(tmp_path):
    path = DATA / "hostile" / "crawl-mixed.warc.gz"
    counts = assert_blocks_read_alike([path], {}, (1, 2000))
    assert counts[0] == 11  # 12 records; the two that share a WARC-Record-ID stay together


def test_parquet_in_row_group_blocks(tmp_path):
    rows = [{"text": r["text"], "n": i} for i, r in enumerate(csv_rows() * 4)]
    rows[5]["text"] = None
    write_parquet(tmp_path / "rows.parquet", rows, row_group_size=3)
    counts = assert_blocks_read_alike([tmp_path / "rows.parquet"], {})
    assert counts[0] == len(rows) // 3 + 1 and counts[-1] == 1
    first, second, *_ = plan_file(expand_inputs([str(tmp_path / "rows.parquet")])[0], 0, {}, 1)
    assert first.unit == "row_groups" and (first.start, first.stop, first.first_line) == (0, 1, 0)
    assert (second.start, second.stop, second.first_line) == (1, 2, 3)
    assert assert_blocks_read_alike([tmp_path / "rows.parquet"], {"text_field": "body"}) == [1] * 5


def test_whole_file_formats_and_whole_file_problems_are_one_block_each(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("pompeo-paragraphs.csv", "pompeo-paragraphs.tsv"):
        (src / name).write_bytes((FORMATS / name).read_bytes())
    (src / "page.html").write_bytes(PAGE.read_bytes())
    (src / "article.txt").write_bytes(paragraphs_fixture())
    (src / "empty.jsonl").write_bytes(b"")
    (src / "blank.jsonl").write_bytes(b"\n   \n\r\n" * 500)
    (src / "blank.txt.gz").write_bytes(gzip.compress(b"\n \n" * 500))
    (src / "binary.jsonl").write_bytes(bytes(range(256)) * 40)
    (src / "utf16.jsonl").write_bytes(json.dumps({"text": "x" * 5000}).encode("utf-16"))
    (src / "garbage.jsonl.gz").write_bytes(b"not gzip at all\n" * 600)
    (src / "data.parquet.gz").write_bytes(gzip.compress(b"PAR1" * 3000))
    for config in ({}, {"split": "paragraphs"}):
        counts = assert_blocks_read_alike([src], config, (1, 100, 1 << 25))
        assert counts[-1] == 1  # small files grouped into one block
    files = expand_inputs([str(src)])
    blocks = plan_blocks(files, {}, 1)
    assert all(b.unit == "file" and b.files == 1 for b in blocks) and len(blocks) == len(files)


def test_hf_folders_are_whole_blocks_grouped_when_small(tmp_path):
    hf_folders(tmp_path / "in")
    (tmp_path / "in" / "x.jsonl").write_text(json.dumps({"id": "x", "text": "beside"}) + "\n")
    assert assert_blocks_read_alike([tmp_path / "in"], {}, (1, 1 << 25)) == [4, 1]


@pytest.mark.parametrize("kind", ["gz", "zst", "bz2", "xz"])
@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_stream_damage_is_reported_once_by_the_last_block(tmp_path, kind, damage):
    whole = compress(kind, records(3000))  # bz2 and zstd recover whole 100-128 kB blocks only
    blob = whole + b"GARBAGE after the stream\n" * 4 if damage == "garbage" else whole[: len(whole) * 2 // 3]
    path = tmp_path / f"d.jsonl.{kind}"
    path.write_bytes(blob)
    counts = assert_blocks_read_alike([path], {}, (100, 50000))
    assert counts[0] > 20, counts
    lines = records(3000).splitlines(keepends=True)  # a paragraph every ten lines; bz2: 3 blocks
    text = b"".join(line + (b"\n" if n % 10 == 9 else b"") for n, line in enumerate(lines))
    whole = compress(kind, text)
    para = tmp_path / f"d.txt.{kind}"
    para.write_bytes(whole + b"\x00GARBAGE" if damage == "garbage" else whole[: len(whole) * 2 // 3])
    counts = assert_blocks_read_alike([para], {"split": "paragraphs"}, (300, 50000))
    assert counts[0] > 10, counts


def test_consecutive_small_files_are_grouped_and_big_ones_cut(tmp_path):
    for i in range(6):
        (tmp_path / f"s{i}.jsonl").write_text(json.dumps({"text": f"small {i}"}) + "\n")
    (tmp_path / "s3.jsonl").write_bytes(records(200))  # a big one in the middle
    files = expand_inputs([str(tmp_path)])
    blocks = plan_blocks(files, {}, 2000)
    assert [(b.file, b.files, b.unit) for b in blocks[:1]] == [(0, 3, "file")]
    assert [b.unit for b in blocks[1:-1]] == ["bytes"] * (len(blocks) - 2)
    assert (blocks[-1].file, blocks[-1].files) == (4, 2)
    assert sum(b.bytes for b in blocks) == sum(Path(f.path).stat().st_size for f in files)
    assert_blocks_read_alike([tmp_path], {}, (1, 2000))


def test_a_block_reads_only_its_own_lines(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'{"text": "a"}\n{"text": "\xc3\xa9t\xc3\xa9"}\r\n\n{"text": "c"}\n')
    (f,) = expand_inputs([str(path)])
    blocks = plan_file(f, 0, {}, 1)
    edges = [(0, 14, 0), (14, 33, 1), (33, 34, 2), (34, None, 3)]
    assert [(b.start, b.stop, b.first_line) for b in blocks] == edges
    assert [[d.id for d in read_block(b, [f], {})] for b in blocks] == [["r:1"], ["r:2"], [], ["r:4"]]
    (doc,) = read_block(Block(0, unit="bytes", start=34, first_line=3), [f], {})
    assert doc.id == "r:4" and doc.text == "c"


def test_the_bench_corpus_head_in_blocks(tmp_path):
    import zstandard

    bench = shared_path("bench", "base_text.jsonl.zst")
    with bench.open("rb") as fh, zstandard.ZstdDecompressor().stream_reader(fh) as reader:
        stream = io.BufferedReader(reader)
        lines = [stream.readline() for _ in range(300)]
    data = b"".join(lines)
    (tmp_path / "head.jsonl").write_bytes(data)
    (tmp_path / "head.jsonl.zst").write_bytes(zst(data))
    texts = "\n\n".join(json.loads(line)["text"] for line in lines[:60])
    (tmp_path / "head.txt").write_bytes(texts.encode("utf-8"))
    for name, config in (("head.jsonl", {}), ("head.jsonl.zst", {}), ("head.txt", {"split": "paragraphs"})):
        counts = assert_blocks_read_alike([tmp_path / name], config, (7, 4096, 1 << 25))
        assert counts[0] >= 300 // (2 if name != "head.txt" else 30) and counts[-1] == 1, (name, counts)


# --- property: random lines, random targets -----------------------------------------------------

LINE_PARTS = [
    json.dumps({"text": "plain"}),
    json.dumps({"text": "été — 日本語 🎉", "id": "u"}, ensure_ascii=False),
    json.dumps({"text": "x" * 60}),
    '{"text": "unterminated',
    "[1, 2]",
    "not json at all",
    "   ",
    "",
    "\t\x0b",
]
lines = st.lists(
    st.tuples(st.sampled_from(LINE_PARTS) | st.text(max_size=12), st.sampled_from(["\n", "\r\n", "\n\n"])),
    max_size=30,
)


CASES = {
    "lines": lines,
    "last_newline": st.booleans(),
    "paragraphs": st.booleans(),
    "suffix": st.sampled_from(["", "", ".gz"]),
    "limit": st.sampled_from([None, 8, 40, 100]),
    "targets": st.lists(st.integers(1, 400), min_size=1, max_size=3),
}


def read_alike(lines, last_newline, paragraphs, suffix, limit, targets) -> None:
    body = "".join(text + end for text, end in lines)
    if not last_newline:
        body = body.rstrip("\n")
    data = body.encode("utf-8", "surrogatepass")
    config = {"split": "paragraphs"} if paragraphs else {}
    if limit:
        config["max_document_bytes"] = limit
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / (("in.txt" if paragraphs else "in.jsonl") + suffix)
        path.write_bytes(gzip.compress(data) if suffix else data)
        assert_blocks_read_alike([path], config, tuple(targets))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**CASES)
def test_any_lines_read_alike_in_any_blocks(**case):
    read_alike(**case)


@pytest.mark.slow
@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**CASES)
def test_any_lines_read_alike_in_any_blocks_many_examples(**case):
    read_alike(**case)


def test_a_file_of_items_quarantined_in_blocks_keeps_line_numbers(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_bytes(b"".join(b"{bad %d\n\n" % i for i in range(50)))
    files = expand_inputs([str(path)])
    got = [i for b in plan_blocks(files, {}, 10) for i in read_block(b, files, {})]
    assert all(isinstance(q, Quarantined) for q in got) and [q.line for q in got] == list(range(1, 100, 2))


@functools.cache
def sample_warc_records(gz: bool) -> list[bytes]:
    return warc_records(gz)  # made once: each call makes new record ids


@st.composite
def damaged_warcs(draw) -> tuple[bool, bytes]:
    """(gzipped, a WARC of the sample records, some cut short, flipped, repeated or followed by junk)."""
    gz = draw(st.booleans())
    records = sample_warc_records(gz)
    parts = []
    for _ in range(draw(st.integers(1, 9))):
        record = draw(st.sampled_from(records))
        change = draw(st.sampled_from(["keep"] * 4 + ["cut", "flip", "junk"]))
        if change == "cut":
            record = record[: draw(st.integers(0, len(record)))]
        elif change == "flip":
            i = draw(st.integers(0, len(record) - 1))
            record = record[:i] + bytes([record[i] ^ 0x55]) + record[i + 1 :]
        elif change == "junk":
            record += draw(st.sampled_from([b"\r\n", b"junk\r\n", b"WARC/1.0\r\n", b"\x1f\x8b\x08\x00"]))
        parts.append(record)
    return gz, b"".join(parts)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(warc=damaged_warcs(), target=st.integers(1, 3000))
def test_damaged_warcs_read_alike_in_any_blocks(warc, target):
    gz, data = warc
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("x.warc.gz" if gz else "x.warc")
        path.write_bytes(data)
        assert_blocks_read_alike([path], {}, (1, target))
