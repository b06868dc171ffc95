"""Readers: text and JSONL, plain and compressed; bad records quarantined with file and line."""

from __future__ import annotations

import gzip

import pytest

from corpus import ConfigError
from corpus.io.readers import InputFile, Quarantined, expand_inputs, read_input


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


def test_invalid_utf8_is_replaced_and_flagged(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Café crème".encode("latin-1"))
    (doc,) = read_all(path)
    assert doc.text == "Caf\ufffd cr\ufffdme" and doc.meta["invalid_utf8"] is True
    (bad,) = read_all(path, encoding_errors="strict")
    assert isinstance(bad, Quarantined) and "invalid UTF-8 at byte 3" in bad.error


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


def test_missing_inputs_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        expand_inputs([str(tmp_path / "absent.txt")])
    with pytest.raises(ConfigError, match="matches no files"):
        expand_inputs([str(tmp_path / "*.jsonl")])


def test_inputs_are_sorted_and_listed_once(tmp_path):
    for name in ("b.txt", "a.txt", "c.jsonl"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    files = expand_inputs([str(tmp_path / "*.txt"), str(tmp_path), str(tmp_path / "a.txt")])
    assert [f.path.rsplit("/", 1)[1] for f in files] == ["a.txt", "b.txt", "c.jsonl"]
    assert isinstance(files[0], InputFile)
