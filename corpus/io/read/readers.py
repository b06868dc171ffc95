"""Streaming readers: one file at a time, one record at a time, never a whole file in memory.

This module picks a format (``detect_format``) and dispatches (``read_input``) to one module per
family of formats:

- ``text``: ``text`` (a file, or blank-line separated blocks) and ``jsonl``;
- ``table``: ``csv`` (and TSV), ``parquet`` and ``hf`` (datasets saved on disk);
- ``web``: ``html`` (main text extracted with trafilatura) and ``warc``.

Listing and checking the inputs (``expand_inputs``, ``check_readable``, ``InputFile``) lives in
``corpus.io.read.listing``; opening them (``open_binary``: plain, .gz, .bz2, .xz, .zst), damaged
compressed streams (``stream_damage``) and sniffing a stream's head in ``corpus.io.read.compression``.
Both are re-exported here, so ``from corpus.io.read.readers import ...`` keeps working.

Every reader yields exactly one item per record it saw: a ``Document``; a ``Quarantined`` record
(the file, the line, row or byte offset, and the error) for a record that could not be read, so a
bad record never stops a build and never disappears; or a ``Skipped`` record for one left out by
design (a WARC request or stylesheet), with a reason code. A whole-file problem (empty, binary,
a damaged compressed stream) is one ``Quarantined`` with ``line=None``; every complete record
before it is kept. One-document-per-file formats read at most ``max_document_bytes`` of a file.

An input that cannot be read at all (missing, a dangling symlink, no permission, a FIFO or device)
is a ``BuildError`` raised before any reading: it says nothing about the data and everything
about the machine, so it must not pass for an empty or corrupt file. Paths are recorded as
``InputFile.name`` (relative), never as the building machine's absolute path.
"""

from __future__ import annotations

import importlib
import json
import lzma
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpus.document import Document
from corpus.errors import BuildError, ConfigError
from corpus.io.read.compression import (
    SNIFF_BYTES,
    open_binary,
    read_line,
    sniff,
    stream_damage,
)
from corpus.io.read.decoding import POLICIES, lone_surrogate, replace_surrogates
from corpus.io.read.listing import (
    COMPRESSED,
    CSV_SUFFIXES,
    HTML_SUFFIXES,
    JSONL_SUFFIXES,
    KNOWN_SUFFIXES,
    PARQUET_SUFFIXES,
    TEXT_SUFFIXES,
    WARC_SUFFIXES,
    InputFile,
    check_readable,
    expand_inputs,
    glob_base,
    is_hf_dataset_dir,
    record_name,
)

# The public names, with those re-exported from listing and compression (formats_*, the engines,
# the CLI, tests and scripts import them from here).
__all__ = [
    "COMPRESSED",
    "CSV_SUFFIXES",
    "HTML_SUFFIXES",
    "JSONL_SUFFIXES",
    "KNOWN_SUFFIXES",
    "MAX_DOCUMENT_BYTES",
    "MAX_RAW_KEEP",
    "PARQUET_SUFFIXES",
    "READERS",
    "SNIFF_BYTES",
    "SURROGATE_GUARDED_FORMATS",
    "TEXT_SUFFIXES",
    "WARC_SUFFIXES",
    "InputFile",
    "Quarantined",
    "ReadOptions",
    "Skipped",
    "check_readable",
    "clean_document",
    "detect_format",
    "expand_inputs",
    "glob_base",
    "is_hf_dataset_dir",
    "keep_raw",
    "open_binary",
    "read_input",
    "read_line",
    "record_name",
    "record_to_document",
    "safe_text",
    "sniff",
    "stream_damage",
]

# Formats whose Documents _guarded checks for lone surrogates (the others come from
# record_to_document, which checks them already).
SURROGATE_GUARDED_FORMATS = {"text", "html", "warc"}
MAX_RAW_KEEP = 1 << 20  # quarantine keeps up to 1 MiB of a bad record
MAX_DOCUMENT_BYTES = 64 << 20

READERS = {
    "text": "corpus.io.read.text:read_text",
    "jsonl": "corpus.io.read.text:read_jsonl",
    "csv": "corpus.io.read.table:read_csv",
    "parquet": "corpus.io.read.table:read_parquet",
    "hf": "corpus.io.read.table:read_hf",
    "html": "corpus.io.read.web:read_html",
    "warc": "corpus.io.read.web:read_warc",
}


@dataclass
class Quarantined:
    """A record that could not be read.

    ``line`` is 1-based (the row number for Parquet and HF datasets); None for a whole-file
    problem. ``offset`` is a byte offset where lines mean nothing (WARC records).
    """

    path: str
    line: int | None
    error: str
    raw: str = ""
    offset: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"file": self.path, "line": self.line, "error": self.error, "raw": self.raw}
        if self.offset is not None:
            out["offset"] = self.offset
        return out


@dataclass
class Skipped:
    """A record a reader leaves out by design, not damage (a WARC request, redirect, stylesheet,
    a crawler's own log). ``reason`` is a stable snake_case code the build counts by."""

    path: str
    line: int | None
    reason: str
    offset: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.path, "line": self.line, "reason": self.reason}
        if self.offset is not None:
            out["offset"] = self.offset
        return out


@dataclass(frozen=True)
class ReadOptions:
    """The ``input`` section's reading options, checked once per file."""

    text_field: str = "text"
    id_field: str = "id"
    url_field: str = "url"
    source: str | None = None
    encoding_errors: str = "repair"
    split: str = "file"
    delimiter: str | None = None
    extract: dict[str, Any] = field(default_factory=dict)
    max_document_bytes: int = MAX_DOCUMENT_BYTES

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ReadOptions:
        opts = cls(
            text_field=config.get("text_field", "text"),
            id_field=config.get("id_field", "id"),
            url_field=config.get("url_field", "url"),
            source=config.get("source"),
            encoding_errors=config.get("encoding_errors", "repair"),
            split=config.get("split", "file"),
            delimiter=config.get("delimiter"),
            extract=dict(config.get("extract") or {}),
            max_document_bytes=int(config.get("max_document_bytes", MAX_DOCUMENT_BYTES)),
        )
        if opts.encoding_errors not in POLICIES:
            raise ConfigError(f"input.encoding_errors: expected one of {', '.join(POLICIES)}")
        if opts.split not in ("file", "paragraphs"):
            raise ConfigError(f"input.split: expected file or paragraphs; got {opts.split!r}")
        if opts.delimiter is not None and len(opts.delimiter) != 1:
            raise ConfigError(f"input.delimiter: expected one character; got {opts.delimiter!r}")
        if opts.max_document_bytes < 1:
            raise ConfigError("input.max_document_bytes: expected an integer >= 1")
        return opts


def detect_format(path: str, fmt: str = "auto") -> str:
    """The configured format, or one chosen by extension (compression suffixes looked through).

    >>> [detect_format(p) for p in ("a.txt", "b.jsonl.gz", "c.tsv", "d.warc.gz", "e.htm", "f.parquet")]
    ['text', 'jsonl', 'csv', 'warc', 'html', 'parquet']
    """
    if fmt != "auto":
        return fmt
    if os.path.isdir(path):
        return "hf"
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in COMPRESSED:
        suffix = p.with_suffix("").suffix.lower()
    for suffixes, name in (
        (JSONL_SUFFIXES, "jsonl"),
        (CSV_SUFFIXES, "csv"),
        (HTML_SUFFIXES, "html"),
        (WARC_SUFFIXES, "warc"),
        (PARQUET_SUFFIXES, "parquet"),
    ):
        if suffix in suffixes:
            return name
    return "text"


def keep_raw(raw: bytes | str) -> str:
    if isinstance(raw, str):
        return raw[:MAX_RAW_KEEP].rstrip("\r\n")
    return raw[:MAX_RAW_KEEP].decode("utf-8", errors="replace").rstrip("\r\n")


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "source": (str,),
    "url": (str,),
    "lang": (str,),
    "lang_score": (float, int),
    "meta": (dict, str),
}


def record_to_document(
    obj: dict[str, Any], f: InputFile, n: int, opts: ReadOptions, path: str | None = None
) -> Document | Quarantined:
    """A record (a JSON object, CSV row, table row) as a Document; other fields go into meta.

    ``n`` is the record's line or row number, used for the id when the record has none.
    """
    text = obj.pop(opts.text_field, None)
    if not isinstance(text, str):
        what = "missing" if text is None else f"not a string ({type(text).__name__})"
        return Quarantined(path or f.name, n, f"field {opts.text_field!r} is {what}")
    doc_id = obj.pop(opts.id_field, None)
    url = obj.pop(opts.url_field, None)
    obj = {k: _jsonable(v) for k, v in obj.items()}
    obj["text"] = text
    obj["id"] = str(doc_id) if doc_id not in (None, "") else f"{f.id_prefix}:{n}"
    if isinstance(url, str):
        obj["url"] = url
    elif url is not None:
        obj[opts.url_field] = _jsonable(url)
    obj.setdefault("source", opts.source or f.name)
    for name, types in _FIELD_TYPES.items():
        if name in obj and obj[name] is not None and not isinstance(obj[name], types):
            return Quarantined(
                path or f.name, n, f"field {name!r} is {type(obj[name]).__name__}, not {types[0].__name__}"
            )
    try:
        doc = Document.from_dict(obj)
    except (ValueError, TypeError) as exc:
        return Quarantined(path or f.name, n, f"bad record: {safe_text(str(exc))}")
    problem = clean_document(doc, opts.encoding_errors)
    return Quarantined(path or f.name, n, problem) if problem else doc


def safe_text(text: str) -> str:
    """``text`` with any lone surrogate as a visible escape (for error messages and raw records)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def clean_document(doc: Document, policy: str) -> str | None:
    """Why a Document cannot leave a reader, else None: a lone surrogate in any field but the text
    (it cannot be written as UTF-8, and guessing would change an id or a URL). In the text it
    follows ``encoding_errors``: replaced by U+FFFD and flagged ``invalid_utf8``, or, under
    strict, refused."""
    fields = [("id", doc.id), ("source", doc.source), ("url", doc.url), ("lang", doc.lang)]
    for name, value in [*fields, *doc.meta.items()]:
        found = lone_surrogate(name) or lone_surrogate(value)
        if found:
            return f"field {safe_text(name)!r} holds a lone surrogate {found}, not encodable as UTF-8"
    found = lone_surrogate(doc.text)
    if found and policy == "strict":
        return f"field 'text' holds a lone surrogate {found}, not valid UTF-8 (encoding_errors: strict)"
    if found:
        doc.text, flags = replace_surrogates(doc.text)
        doc.meta.update(flags)
    return None


def _guarded(f: InputFile, items: Iterator[Any], policy: str, check: bool) -> Iterator[Any]:
    """Whatever a reader raises while reading becomes one Quarantined naming the file. With
    ``check`` (readers that do not go through ``record_to_document``, which checks already), the
    last line of defence: no lone surrogate leaves a reader (see ``clean_document``)."""
    n = 0
    try:
        for item in items:
            n += 1
            if check and isinstance(item, Document):
                problem = clean_document(item, policy)
                if problem:
                    item = Quarantined(f.name, None, f"record {safe_text(item.id)!r}: {problem}")
            if isinstance(item, Quarantined):
                item.error, item.raw = safe_text(item.error), safe_text(item.raw)
            yield item
    except (ConfigError, BuildError):
        raise
    except (OSError, EOFError, lzma.LZMAError) as exc:
        yield Quarantined(f.name, None, f"file ends early or is corrupt after {n} records: {exc}")
    except Exception as exc:
        yield Quarantined(f.name, None, f"cannot read further after {n} records: {type(exc).__name__}: {exc}")


def read_input(f: InputFile, config: dict[str, Any]) -> Iterator[Any]:
    """Dispatch on the configured or detected format (the ``input`` section of a config)."""
    fmt = detect_format(f.path, config.get("format", "auto"))
    if fmt not in READERS:
        raise ConfigError(f"input.format: unknown format {fmt!r}; available: auto, {', '.join(READERS)}")
    opts = ReadOptions.from_config(config)
    module, name = READERS[fmt].split(":")
    reader = getattr(importlib.import_module(module), name)
    if fmt == "html":
        from corpus.io.read.web import check_extract_options

        check_extract_options(opts.extract)
    return _guarded(f, reader(f, opts), opts.encoding_errors, fmt in SURROGATE_GUARDED_FORMATS)
