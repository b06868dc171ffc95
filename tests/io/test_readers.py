"""Readers: text and JSONL, plain and compressed; bad records quarantined with file and line."""

from __future__ import annotations

import gzip

import pytest

from corpus import ConfigError
from corpus.errors import BuildError
from corpus.io.read import InputFile, Quarantined, expand_inputs, read_input


def read_all(path, **config):
    f = expand_inputs([str(path)])[0]
    return list(read_input(f, {"format": "auto", **config}))


def test_text_file_is_one_document_with_id_from_path(sample_article, tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text(sample_article, encoding="utf-8")
    files = expand_inputs([str(tmp_path / "**" / "*.txt")])
    assert [f.id_prefix for f in files] == ["sub/a"]
    (doc,) = read_input(files[0], {})
    assert doc.text == sample_article and doc.id == "sub/a"


def test_jsonl_bad_lines_are_quarantined_and_rest_is_read(tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_bytes(
        b'{"id": "a", "text": "first"}\n'
        b'{"id": "b", "text": "unterminated\n'
        b"\n"
        b'{"id": "c", "body": "no text field"}\n'
        b"[1, 2]\n"
        b'{"text": "no id", "url": "https://example.org/x", "title": "T"}\n'
    )
    items = read_all(path)
    docs = [i for i in items if not isinstance(i, Quarantined)]
    bad = [i for i in items if isinstance(i, Quarantined)]
    assert [d.id for d in docs] == ["a", "docs:6"]
    assert docs[1].url == "https://example.org/x" and docs[1].meta == {"title": "T"}
    assert [(q.line, q.error.split(":")[0]) for q in bad] == [
        (2, "malformed JSON"),
        (4, "field 'text' is missing"),
        (5, "expected a JSON object, got list"),
    ]
    assert all(q.path.endswith("docs.jsonl") for q in bad)
    assert bad[0].raw.startswith('{"id": "b"')


def test_invalid_utf8_is_repaired_by_default_replaced_or_quarantined_by_policy(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Café crème".encode("latin-1"))
    (doc,) = read_all(path)
    assert doc.text == "Café crème" and doc.meta == {"invalid_utf8": True, "decoded_as": "cp1252"}
    (doc,) = read_all(path, encoding_errors="replace")
    assert doc.text == "Caf\ufffd cr\ufffdme" and doc.meta == {"invalid_utf8": True}
    (bad,) = read_all(path, encoding_errors="strict")
    assert isinstance(bad, Quarantined) and "invalid UTF-8 at byte 3" in bad.error


def test_repair_keeps_utf8_around_stray_bytes_and_detects_other_code_pages(tmp_path, sample_article):
    mixed = tmp_path / "mixed.txt"
    mixed.write_bytes(sample_article.encode("utf-8") + "Café".encode("cp1252"))
    (doc,) = read_all(mixed)
    assert doc.text == sample_article + "Café" and doc.meta["decoded_as"] == "cp1252"
    russian = tmp_path / "ru.jsonl"
    text = "Госсекретарь США провёл переговоры с министрами иностранных дел Армении и Азербайджана."
    russian.write_bytes(b'{"id": "ru", "text": "' + text.encode("cp1251") + b'"}\n')
    (doc,) = read_all(russian)
    assert doc.text == text and doc.meta == {"invalid_utf8": True, "decoded_as": "cp1251"}


def test_undetectable_bytes_are_replaced_and_counted_by_the_engine(tmp_path, sample_article):
    from corpus import Pipeline

    path = tmp_path / "noise.txt"
    path.write_bytes(b"ok " + bytes(range(0x80, 0x100)) * 3)
    (doc,) = read_all(path)
    assert "\ufffd" in doc.text and doc.meta == {"invalid_utf8": True}
    (tmp_path / "good.txt").write_text(sample_article, encoding="utf-8")
    out = tmp_path / "out"
    config = {"input": {"paths": [str(tmp_path / "*.txt")]}, "stages": [], "output": {"path": str(out)}}
    counts = Pipeline.from_config(config).build(workers=0, progress=False).manifest["counts"]
    assert counts["invalid_utf8_replaced"] == 1 and counts["kept"] == 2


def test_gzip_jsonl_and_truncated_gzip_keeps_records_before_the_break(tmp_path):
    lines = b"".join(b'{"id": "%d", "text": "document number %d"}\n' % (i, i) for i in range(2000))
    path = tmp_path / "docs.jsonl.gz"
    path.write_bytes(gzip.compress(lines))
    assert len(read_all(path)) == 2000
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_bytes(gzip.compress(lines)[: len(gzip.compress(lines)) // 2])
    items = read_all(broken)
    assert isinstance(items[-1], Quarantined) and "broken.jsonl.gz" in items[-1].path
    assert "ends early" in items[-1].error
    good = items[:-1]
    assert good and all(d.id == str(i) for i, d in enumerate(good))


def test_binary_file_given_as_text_is_quarantined(tmp_path):
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (item,) = read_all(path)
    assert isinstance(item, Quarantined) and "binary" in item.error


def test_missing_inputs_are_build_errors_and_empty_patterns_config_errors(tmp_path):
    with pytest.raises(BuildError, match="no such file"):
        expand_inputs([str(tmp_path / "absent.txt")])
    with pytest.raises(ConfigError, match="matches no files"):
        expand_inputs([str(tmp_path / "*.jsonl")])


def test_inputs_are_sorted_and_listed_once(tmp_path):
    for name in ("b.txt", "a.txt", "c.jsonl"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    files = expand_inputs([str(tmp_path / "*.txt"), str(tmp_path), str(tmp_path / "a.txt")])
    assert [f.path.rsplit("/", 1)[1] for f in files] == ["a.txt", "b.txt", "c.jsonl"]
    assert isinstance(files[0], InputFile)


def test_truncated_zst_keeps_records_before_the_break(tmp_path):
    import zstandard

    lines = b"".join(b'{"id": "%d", "text": "document number %d"}\n' % (i, i) for i in range(30_000))
    whole = zstandard.ZstdCompressor().compress(lines)
    (tmp_path / "docs.jsonl.zst").write_bytes(whole)
    assert len(read_all(tmp_path / "docs.jsonl.zst")) == 30_000
    (tmp_path / "cut.jsonl.zst").write_bytes(whole[: len(whole) * 2 // 3])
    items = read_all(tmp_path / "cut.jsonl.zst")
    assert isinstance(items[-1], Quarantined) and items[-1].path.endswith("cut.jsonl.zst")
    assert "ends early" in items[-1].error and "truncated" in items[-1].error
    assert items[:-1] and all(d.id == str(i) for i, d in enumerate(items[:-1]))
    (tmp_path / "cut.txt.zst").write_bytes(zstandard.ZstdCompressor().compress(b"x" * 100_000)[:-5])
    (bad,) = read_all(tmp_path / "cut.txt.zst")
    assert isinstance(bad, Quarantined) and "truncated" in bad.error


def test_csv_row_with_wrong_number_of_fields_is_quarantined(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes(b'id,text\nr1,first\nr2,second,extra\nr3\n"r4","multi\nline"\nr5,"unclosed\n')
    items = read_all(path)
    docs = [i for i in items if not isinstance(i, Quarantined)]
    bad = [i for i in items if isinstance(i, Quarantined)]
    assert [d.id for d in docs] == ["r1", "r4"] and docs[1].text == "multi\nline"
    assert [(q.line, q.error) for q in bad] == [
        (3, "expected 2 fields, got 3"),
        (4, "expected 2 fields, got 1"),
        (7, "malformed CSV: unexpected end of data"),
    ]
    assert bad[0].raw == "r2,second,extra"


@pytest.mark.parametrize("name", ["e.txt", "e.jsonl", "e.csv", "e.html", "e.txt.gz", "e.warc"])
def test_empty_file_is_one_quarantined_record(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(gzip.compress(b"") if name.endswith(".gz") else b"")
    (item,) = read_all(path)
    assert isinstance(item, Quarantined) and item.line is None
    assert "empty" in item.error or "no WARC records" in item.error


@pytest.mark.parametrize("fmt", ["text", "jsonl", "csv", "html"])
def test_binary_file_is_quarantined_whatever_the_format(tmp_path, fmt):
    path = tmp_path / "blob.bin"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40)
    (item,) = read_all(path, format=fmt)
    assert isinstance(item, Quarantined) and "binary file" in item.error


def test_50mb_single_line_document_is_read_in_bounded_memory_or_refused(tmp_path, sample_article):
    import tracemalloc

    line = " ".join(sample_article.split())
    body = (line + " ") * (50_000_000 // (len(line.encode()) + 1) + 1)
    path = tmp_path / "huge.txt"
    path.write_text(body, encoding="utf-8")
    jsonl = tmp_path / "huge.jsonl"
    with open(jsonl, "w", encoding="utf-8") as fh:
        fh.write('{"id": "big", "text": "' + body + '"}\n{"id": "after", "text": "small"}\n')
    size = path.stat().st_size
    assert size >= 50_000_000
    tracemalloc.start()
    try:
        (doc,) = read_all(path)
        assert len(doc.text) == len(body)
        del doc
        big, after = read_all(jsonl)
        assert big.id == "big" and len(big.text) == len(body) and after.text == "small"
        del big
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Bounded by a few copies of one record (bytes, text, parsed JSON: ~250 MB here), not by the file.
    assert peak < 8 * size, f"peak {peak / 1e6:.0f} MB for a {size / 1e6:.0f} MB document"
    (refused,) = read_all(path, max_document_bytes=1_000_000)
    assert isinstance(refused, Quarantined) and "larger than max_document_bytes" in refused.error
    bad, after = read_all(jsonl, max_document_bytes=1_000_000)
    assert isinstance(bad, Quarantined) and bad.line == 1 and after.id == "after"


# --- errors: InputError for data, ConfigError for options ------------------------------------


def test_decoder_policy_is_a_config_error_and_strict_bad_bytes_an_input_error():
    from corpus.errors import InputError
    from corpus.io.read.decoding import Decoder

    with pytest.raises(ConfigError, match=r"input\.encoding_errors: expected one of repair, replace, strict"):
        Decoder("lenient")
    with pytest.raises(InputError, match="invalid UTF-8 at byte 3") as info:
        Decoder("strict").decode("Café".encode("latin-1"))
    assert info.value.reason == "invalid UTF-8 at byte 3" and info.value.path == ""


def test_an_input_error_becomes_one_quarantined_with_where_and_raw():
    from corpus.errors import InputError

    exc = InputError("bad \ud800 record", path="a.jsonl", line=3, raw="x\udc80", offset=7)
    assert str(exc) == "a.jsonl:3: bad \ud800 record"
    q = Quarantined.from_error(exc)
    assert (q.path, q.line, q.offset) == ("a.jsonl", 3, 7)
    assert q.error == "bad \\ud800 record" and q.raw == "x\\udc80"  # written as UTF-8 later


@pytest.mark.parametrize(
    ("name", "data", "config", "line", "byte"),
    [
        ("a.jsonl", b'{"text": "ok"}\n{"text": "Caf\xe9"}\n{"text": "ok too"}\n', {}, 2, 13),
        ("a.csv", b"text\nok\nCaf\xe9\nok too\n", {}, 3, 3),
        ("a.txt", b"ok\n\nCaf\xe9\n\nok too\n", {"split": "paragraphs"}, 3, 3),
    ],
)
def test_strict_decoding_quarantines_the_record_and_reads_on(tmp_path, name, data, config, line, byte):
    path = tmp_path / name
    path.write_bytes(data)
    items = read_all(path, encoding_errors="strict", **config)
    assert [type(i).__name__ for i in items] == ["Document", "Quarantined", "Document"]
    assert (items[1].line, items[1].error) == (line, f"invalid UTF-8 at byte {byte}")
    assert items[1].path.endswith(name) and items[2].text == "ok too"


def test_a_whole_file_input_error_is_one_quarantined_naming_the_file(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"\n\n")
    (q,) = read_all(path)
    assert isinstance(q, Quarantined) and (q.line, q.error) == (None, "empty file (no records)")
    assert q.path.endswith("empty.jsonl")


@pytest.mark.parametrize("value", ["lots", None, [1]])
def test_a_max_document_bytes_that_is_no_integer_is_a_config_error(tmp_path, value):
    path = tmp_path / "a.txt"
    path.write_text("text", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"input\.max_document_bytes: expected an integer >= 1; got"):
        read_all(path, max_document_bytes=value)
