"""Every input format on a real sample: text, JSONL, CSV/TSV, Parquet, HF datasets, HTML, WARC.

Samples: data/sample/pompeo-nagorno-karabakh.txt (a scraped article) and, made from it and
shipped in tests/data/formats (see its README.md), a CSV/TSV of its paragraphs and an HTML page
that wraps its text in typical page furniture. Parquet, HF and WARC samples are made here from
those, so their bytes come from the current libraries.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
from pathlib import Path

import pytest

from corpus import ConfigError, Document, Pipeline
from corpus.io.read import Quarantined, Skipped, detect_format, expand_inputs, read_input

FORMATS = Path(__file__).resolve().parents[1] / "data" / "formats"
PAGE = FORMATS / "pompeo-article.html"
PAGE_URL = "https://news.example.org/world/pompeo-nagorno-karabakh"


def read_all(path, **config):
    (f,) = expand_inputs([str(path)])
    return list(read_input(f, config))


def split_items(items):
    return [i for i in items if isinstance(i, Document)], [i for i in items if isinstance(i, Quarantined)]


def csv_rows() -> list[dict[str, str]]:
    with open(FORMATS / "pompeo-paragraphs.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --- text ---------------------------------------------------------------------------------


def test_text_split_paragraphs_gives_one_document_per_block(sample_article, tmp_path):
    path = tmp_path / "article.txt"
    path.write_text(sample_article, encoding="utf-8")
    docs = read_all(path, split="paragraphs")
    blocks = [b.strip("\n") for b in sample_article.split("\n\n") if b.strip()]
    assert [d.text for d in docs] == blocks
    assert docs[0].id == "article:1" and docs[1].id == "article:3"
    (whole,) = read_all(path)
    assert whole.text == sample_article and whole.id == "article"


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz", ".zst"])
def test_compressed_text_reads_like_plain(sample_article, tmp_path, suffix):
    import zstandard

    compress = {
        ".gz": gzip.compress,
        ".bz2": bz2.compress,
        ".xz": lzma.compress,
        ".zst": zstandard.ZstdCompressor().compress,
    }[suffix]
    path = tmp_path / f"article.txt{suffix}"
    path.write_bytes(compress(sample_article.encode("utf-8")))
    (doc,) = read_all(path)
    assert doc.text == sample_article and doc.id == "article"


def test_format_by_name_overrides_extension(tmp_path):
    path = tmp_path / "export.data"
    path.write_text('{"id": "x", "text": "hello"}\n', encoding="utf-8")
    assert detect_format(str(path)) == "text"
    (doc,) = read_all(path, format="jsonl")
    assert doc.id == "x" and doc.text == "hello"
    with pytest.raises(ConfigError, match="unknown format 'xml'"):
        read_all(path, format="xml")


def test_jsonl_url_field_and_meta(tmp_path):
    path = tmp_path / "docs.ndjson"
    path.write_text('{"body": "b", "key": 7, "link": "https://ex.org/", "tags": ["a"]}\n', encoding="utf-8")
    (doc,) = read_all(path, text_field="body", id_field="key", url_field="link")
    assert (doc.id, doc.text, doc.url, doc.meta) == ("7", "b", "https://ex.org/", {"tags": ["a"]})


# --- CSV / TSV ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["pompeo-paragraphs.csv", "pompeo-paragraphs.tsv"])
def test_csv_and_tsv_rows_are_documents(name):
    docs = read_all(FORMATS / name)
    rows = csv_rows()
    assert [d.id for d in docs] == [r["id"] for r in rows]
    assert [d.text for d in docs] == [r["text"] for r in rows]
    assert "\n" in docs[3].text  # a quoted field over two lines
    assert docs[0].url == PAGE_URL and docs[0].meta == {"position": "0"}


def test_csv_without_id_column_gets_line_numbers_and_other_delimiter(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text('text;lang\n"a; b";en\n"two\nlines";fr\nlast;de\n', encoding="utf-8")
    docs = read_all(path, delimiter=";")
    expected = [("semi:2", "a; b"), ("semi:3", "two\nlines"), ("semi:5", "last")]
    assert [(d.id, d.text) for d in docs] == expected


def test_csv_without_the_text_column_is_one_quarantined_record():
    (bad,) = read_all(FORMATS / "pompeo-paragraphs.csv", text_field="body")
    assert isinstance(bad, Quarantined) and "no column 'body'" in bad.error and bad.line == 1


# --- Parquet and Hugging Face datasets ----------------------------------------------------


def write_parquet(path: Path, rows: list[dict], row_group_size: int = 3) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=row_group_size)


def test_parquet_rows_in_batches_with_named_columns(tmp_path):
    rows = [{"doc": r["text"], "key": r["id"], "position": int(r["position"])} for r in csv_rows()]
    rows[2]["key"] = None
    rows[5]["doc"] = None
    path = tmp_path / "paras.parquet"
    write_parquet(path, rows)
    docs, bad = split_items(read_all(path, text_field="doc", id_field="key"))
    assert [d.id for d in docs][:3] == ["pompeo-00", "pompeo-01", "paras:3"]
    assert docs[0].meta == {"position": 0} and docs[0].text == rows[0]["doc"]
    assert [(q.line, q.error) for q in bad] == [(6, "field 'doc' is missing")]
    (missing,) = read_all(path)
    assert isinstance(missing, Quarantined) and "no column 'text'" in missing.error


def test_hf_save_to_disk_folder_and_dataset_dict(tmp_path):
    import datasets

    rows = [{"id": r["id"], "text": r["text"], "url": r["url"]} for r in csv_rows()]
    ds = datasets.Dataset.from_list(rows)
    ds.save_to_disk(str(tmp_path / "single"))
    datasets.DatasetDict({"train": ds, "test": ds.select(range(2))}).save_to_disk(str(tmp_path / "dd"))
    files = expand_inputs([str(tmp_path)])
    assert [f.path.rsplit("/", 1)[1] for f in files] == ["dd", "single"]
    assert [detect_format(f.path) for f in files] == ["hf", "hf"]
    both, single = (list(read_input(f, {})) for f in files)
    assert [d.id for d in single] == [r["id"] for r in rows] and single[0].url == PAGE_URL
    assert len(both) == len(rows) + 2


@pytest.mark.parametrize("output", [{}, {"format": "jsonl"}, {"format": "jsonl", "compression": "gzip"}])
def test_hub_layout_folder_reads_back_a_built_dataset(tmp_path, sample_article, output):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(sample_article, encoding="utf-8")
    (src / "b.jsonl").write_text('{"id": "b1", "text": "second", "url": "https://ex.org/b"}\n')
    out = tmp_path / "built"
    config = {"input": {"paths": [str(src)]}, "stages": [], "output": {"path": str(out), **output}}
    Pipeline.from_config(config).build(workers=0, progress=False)
    (f,) = expand_inputs([str(out)])
    assert detect_format(f.path) == "hf"
    docs = list(read_input(f, {}))
    assert [(d.id, d.url) for d in docs] == [("a", ""), ("b1", "https://ex.org/b")]
    assert docs[0].text == sample_article.strip("\n")


def test_hub_layout_jsonl_bad_line_is_quarantined_and_mixed_formats_refused(tmp_path):
    data = tmp_path / "ds" / "data"
    data.mkdir(parents=True)
    (tmp_path / "ds" / "README.md").write_text("---\n---\n")
    lines = ['{"id": "r1", "text": "one"}', "{not json", "[1, 2]", '{"id": "r4", "text": "four"}']
    with gzip.open(data / "train-00000-of-00001.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    docs, bad = split_items(read_all(tmp_path / "ds"))
    assert [d.id for d in docs] == ["r1", "r4"]
    name = "ds/data/train-00000-of-00001.jsonl.gz"
    assert [(q.path.endswith(name), q.line, q.error.split(":")[0]) for q in bad] == [
        (True, 2, "not JSON"),
        (True, 3, "a JSON list, not an object"),
    ]
    write_parquet(data / "train-00000-of-00001.parquet", [{"id": "p1", "text": "parquet"}])
    (only,) = read_all(tmp_path / "ds")
    assert isinstance(only, Quarantined) and "both Parquet and JSONL" in only.error


# --- HTML ---------------------------------------------------------------------------------


def test_html_page_main_text_and_metadata(sample_article):
    (doc,) = read_all(PAGE)
    assert doc.id == "pompeo-article" and doc.url == PAGE_URL
    assert doc.meta == {
        "title": "Pompeo meets Armenian and Azerbaijani ministers to stop the fighting",
        "author": "Example News Staff",
        "date": "2020-10-23",
        "site_name": "Example News",
    }
    first, last = sample_article.split("\n")[0].strip(), "this time between Israel and Sudan."
    assert first in doc.text and doc.text.rstrip().endswith(last)
    for furniture in ("Accept all cookies", "Related stories", "All rights reserved", "Sign up to receive"):
        assert furniture not in doc.text


def test_html_extract_options_and_declared_charset(tmp_path):
    page = PAGE.read_text(encoding="utf-8").replace('charset="utf-8"', 'charset="iso-8859-1"')
    page = page.replace("’", "'").replace("“", '"').replace("”", '"').replace("Trump's", "Trump's café")
    path = tmp_path / "latin.htm.gz"
    path.write_bytes(gzip.compress(page.encode("cp1252")))
    (doc,) = read_all(path)
    assert "Trump's café" in doc.text and doc.meta["decoded_as"] == "cp1252"
    assert "invalid_utf8" not in doc.meta
    (lean,) = read_all(path, extract={"with_metadata": False, "include_tables": False})
    assert lean.meta == {"decoded_as": "cp1252"} and lean.text == doc.text
    with pytest.raises(ConfigError, match="unknown option 'deduplicate'"):
        read_all(path, extract={"deduplicate": True})


def test_html_without_main_text_is_quarantined(tmp_path):
    path = tmp_path / "nav.html"
    path.write_text("<html><head><title>T</title></head><body><script>var a;</script></body></html>")
    (bad,) = read_all(path)
    assert isinstance(bad, Quarantined) and "no main text" in bad.error


@pytest.mark.parametrize("declared", ["", '<meta charset="shift_jis">'])
def test_html_that_does_not_decode_under_strict_is_quarantined(tmp_path, declared):
    # \x82 alone is neither UTF-8 nor Shift_JIS: strict refuses it, naming the byte.
    path = tmp_path / "bad.html"
    path.write_bytes(f"<html><head>{declared}</head><body><p>Caf".encode() + b"\x82</p></body></html>")
    (bad,) = read_all(path, encoding_errors="strict")
    assert isinstance(bad, Quarantined) and bad.line is None and bad.path.endswith("bad.html")
    assert bad.error.startswith("invalid UTF-8 at byte ") and bad.raw.startswith("b'<html>")


# --- WARC ---------------------------------------------------------------------------------


def warc_records(gz: bool) -> list[bytes]:
    """warcinfo, request, then response records (page, text, 404, image) and a resource record,
    each serialised on its own (one gzip member each when gz)."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    def one(make) -> bytes:
        buf = io.BytesIO()
        writer = WARCWriter(buf, gzip=gz)
        writer.write_record(make(writer))
        return buf.getvalue()

    def response(url: str, status: str, ctype: str, body: bytes):
        headers = StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")
        return lambda w: w.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers)

    text = b"Plain text payload.\nSecond line.\n"
    return [
        one(lambda w: w.create_warcinfo_record("sample.warc", {"software": "corpus tests"})),
        one(lambda w: w.create_warc_record(PAGE_URL, "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n"))),
        one(response(PAGE_URL, "200 OK", "text/html; charset=utf-8", PAGE.read_bytes())),
        one(response("https://ex.org/notes.txt", "200 OK", "text/plain", text)),
        one(response("https://ex.org/gone", "404 Not Found", "text/html", b"<html>gone</html>")),
        one(response("https://ex.org/logo.png", "200 OK", "image/png", b"\x89PNG\r\n\x1a\n")),
        one(
            lambda w: w.create_warc_record(
                "file:///notes.txt", "resource", payload=io.BytesIO(text), warc_content_type="text/plain"
            )
        ),
    ]


@pytest.mark.parametrize("gz", [False, True])
def test_warc_response_and_resource_records(tmp_path, gz):
    path = tmp_path / ("crawl.warc.gz" if gz else "crawl.warc")
    path.write_bytes(b"".join(warc_records(gz)))
    items = read_all(path)
    assert len(items) == 7  # one item per record
    docs, bad = split_items(items)
    skipped = [(i.reason, i.offset) for i in items if isinstance(i, Skipped)]
    assert [reason for reason, _ in skipped] == [
        "warc_warcinfo",
        "warc_request",
        "warc_http_error",
        "warc_not_text",
    ]
    assert not bad and all(offset is not None for _, offset in skipped)
    page, notes, resource = docs
    assert page.url == PAGE_URL and page.id.startswith("urn:uuid:")
    assert page.meta["title"].startswith("Pompeo meets") and "warc_date" in page.meta
    assert "Related stories" not in page.text and "Mike Pompeo" in page.text
    assert notes.text == "Plain text payload.\nSecond line.\n" and resource.url == "file:///notes.txt"


@pytest.mark.parametrize("gz", [False, True])
def test_warc_record_with_broken_header_is_quarantined_and_rest_read(tmp_path, gz):
    records = warc_records(gz)
    raw = warc_records(False)[3].replace(b"Content-Length: ", b"Content-Length: x", 1)
    records[3] = gzip.compress(raw) if gz else raw
    version = warc_records(False)[4].replace(b"WARC/1.0", b"WARX/1.0", 1)
    records[4] = gzip.compress(version) if gz else version
    path = tmp_path / ("broken.warc.gz" if gz else "broken.warc")
    path.write_bytes(b"".join(records))
    items = read_all(path)
    assert len(items) == 7  # warcinfo, request and the image skipped, two broken, two read
    docs, bad = split_items(items)
    assert [d.url for d in docs] == [PAGE_URL, "file:///notes.txt"]
    offsets = [sum(map(len, records[:i])) for i in (3, 4)]
    assert [q.offset for q in bad] == offsets
    assert "Content-Length" in bad[0].error and "broken WARC record" in bad[1].error
    assert all(q.path.endswith(path.name) for q in bad)


def test_truncated_warc_gz_keeps_records_before_the_break(tmp_path):
    data = b"".join(warc_records(True)[:4])
    path = tmp_path / "cut.warc.gz"
    path.write_bytes(data[:-40])
    items = read_all(path)
    assert [type(i).__name__ for i in items] == ["Skipped", "Skipped", "Document", "Quarantined"]
    assert items[2].url == PAGE_URL
    assert isinstance(items[-1], Quarantined) and "cut.warc.gz" in items[-1].path
    assert "truncated" in items[-1].error or "broken" in items[-1].error


# --- the engine over every format ---------------------------------------------------------


def test_build_over_every_format_accounts_for_every_record(tmp_path, sample_article):
    src = tmp_path / "in"
    src.mkdir()
    (src / "article.txt").write_text(sample_article, encoding="utf-8")
    (src / "paras.csv").write_bytes((FORMATS / "pompeo-paragraphs.csv").read_bytes())
    (src / "page.html").write_bytes(PAGE.read_bytes())
    (src / "crawl.warc.gz").write_bytes(b"".join(warc_records(True)))
    write_parquet(src / "paras.parquet", [{"text": r["text"]} for r in csv_rows()])
    (src / "docs.jsonl").write_text(json.dumps({"id": "j", "text": "from jsonl"}) + "\n{bad\n")
    config = {
        "input": {"paths": [str(src)]},
        "stages": [{"exact_dedup": {}}],
        "output": {"path": str(tmp_path / "o")},
    }
    counts = Pipeline.from_config(config).build(workers=0, progress=False).manifest["counts"]
    assert counts["read"] == 1 + 8 + 1 + 7 + 8 + 2
    assert counts["quarantined"] == 1  # the bad JSON line; the WARC's 404, image, warcinfo, request: skipped
    # copies: parquet rows = csv rows, the WARC page = page.html, the WARC resource = its text/plain response
    assert counts["dropped"] == {"exact_dedup.exact_duplicate": 8 + 1 + 1}
    skipped = counts.get("skipped") or {}
    skipped = sum(skipped.values()) if isinstance(skipped, dict) else skipped
    assert (
        counts["read"] == counts["kept"] + sum(counts["dropped"].values()) + counts["quarantined"] + skipped
    )
