"""Dispatching an input to its reader: ``detect_format`` picks a format, ``read_input`` reads.

One module per family of formats:

- ``text``: ``text`` (a file, or blank-line separated blocks) and ``jsonl``;
- ``table``: ``csv`` (and TSV), ``parquet`` and ``hf`` (datasets saved on disk);
- ``web``: ``html`` (main text extracted with trafilatura) and ``warc``.

What they share (``Quarantined``, ``Skipped``, ``ReadOptions``, the per-record checks) is in
``corpus.io.read.base``; listing and checking the inputs (``expand_inputs``, ``check_readable``,
``InputFile``) in ``corpus.io.read.listing``; opening and decompressing in
``corpus.io.read.compression``. Imports go one way: this module imports the format modules, they
import only ``base``, ``listing``, ``compression`` and ``decoding``, never this module.

A whole-file problem (empty, binary, a damaged compressed stream) is an ``InputError`` the format
reader raises and ``read_input`` yields as one ``Quarantined`` with ``line=None``; every complete
record before it is kept. One-document-per-file formats read at
most ``max_document_bytes`` of a file.

An input that cannot be read at all (missing, a dangling symlink, no permission, a FIFO or device)
is a ``BuildError`` raised before any reading: it says nothing about the data and everything
about the machine, so it must not pass for an empty or corrupt file. Paths are recorded as
``InputFile.name`` (relative), never as the building machine's absolute path.
"""

from __future__ import annotations

import lzma
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from corpus.document import Document
from corpus.errors import BuildError, ConfigError, InputError
from corpus.io.read import table, text, web
from corpus.io.read.base import Quarantined, ReadOptions, clean_document, safe_text
from corpus.io.read.listing import (
    COMPRESSED,
    CSV_SUFFIXES,
    HTML_SUFFIXES,
    JSONL_SUFFIXES,
    PARQUET_SUFFIXES,
    WARC_SUFFIXES,
    InputFile,
)

__all__ = ["READERS", "detect_format", "read_input"]  # the package (corpus.io.read) exports the rest

Reader = Callable[[InputFile, ReadOptions], Iterator[Any]]

READERS: dict[str, Reader] = {
    "text": text.read_text,
    "jsonl": text.read_jsonl,
    "csv": table.read_csv,
    "parquet": table.read_parquet,
    "hf": table.read_hf,
    "html": web.read_html,
    "warc": web.read_warc,
}

# Formats whose Documents _guarded checks for lone surrogates (the others come from
# record_to_document, which checks them already).
SURROGATE_GUARDED_FORMATS = {"text", "html", "warc"}


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


def _guarded(f: InputFile, items: Iterator[Any], policy: str, check: bool) -> Iterator[Any]:
    """A whole-file InputError, or whatever else a reader raises while reading, becomes one
    Quarantined naming the file. With ``check`` (readers that do not go through
    ``record_to_document``, which checks already), the last line of defence: no lone surrogate
    leaves a reader (see ``clean_document``)."""
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
    except InputError as exc:
        yield Quarantined.from_error(exc)
    except (ConfigError, BuildError):
        raise
    except (OSError, EOFError, lzma.LZMAError) as exc:
        yield Quarantined(f.name, None, f"file ends early or is corrupt after {n} records: {exc}")
    except Exception as exc:  # a parser's own error (pyarrow, warcio): the file, not the build
        yield Quarantined(f.name, None, f"cannot read further after {n} records: {type(exc).__name__}: {exc}")


def read_input(f: InputFile, config: dict[str, Any]) -> Iterator[Any]:
    """Dispatch on the configured or detected format (the ``input`` section of a config)."""
    fmt = detect_format(f.path, config.get("format", "auto"))
    if fmt not in READERS:
        raise ConfigError(f"input.format: unknown format {fmt!r}; available: auto, {', '.join(READERS)}")
    opts = ReadOptions.from_config(config)
    if fmt == "html":
        web.check_extract_options(opts.extract)
    return _guarded(f, READERS[fmt](f, opts), opts.encoding_errors, fmt in SURROGATE_GUARDED_FORMATS)
