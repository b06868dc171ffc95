"""Plain text and JSONL / NDJSON readers.

``text``: one document per file (id = the file's path relative to its pattern base), or with
``split: paragraphs`` one per block of non-blank lines (id = ``<path>:<first line of the block>``).
``jsonl``: one document per non-blank line; the text, id and url fields are named in config and
every other field goes into ``meta``. A bad line is quarantined with its line number and the rest
of the file is read.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from typing import IO, Any

from corpus.document import Document
from corpus.io.read.decoding import Decoder
from corpus.io.read.readers import (
    MAX_RAW_KEEP,
    InputFile,
    Quarantined,
    ReadOptions,
    keep_raw,
    open_binary,
    read_line,
    record_to_document,
    sniff,
    stream_damage,
)


def read_text(f: InputFile, opts: ReadOptions) -> Iterator[Document | Quarantined]:
    """A text file as one document, or one per blank-line separated block."""
    with open_binary(f.path) as fh:
        head, stream, problem = sniff(fh)
        if problem:
            yield Quarantined(f.name, None, problem, raw=repr(head[:200]))
            return
        if opts.split == "paragraphs":
            yield from _read_blocks(f, opts, stream, fh)
            return
        data = stream.read(opts.max_document_bytes + 1)
        damage = stream_damage(fh)
    if damage:  # one document per file: a document cut short is not kept
        what, offset = damage
        yield Quarantined(f.name, None, f"file damaged: {what}", offset=offset)
        return
    if len(data) > opts.max_document_bytes:
        limit = opts.max_document_bytes
        yield Quarantined(f.name, None, f"document larger than max_document_bytes ({limit})")
        return
    if not data.strip():
        yield Quarantined(f.name, None, "empty file (only whitespace)")
        return
    try:
        text, flags = Decoder(opts.encoding_errors).decode(data)
    except UnicodeDecodeError as exc:
        yield Quarantined(f.name, None, f"invalid UTF-8 at byte {exc.start}", raw=repr(data[:MAX_RAW_KEEP]))
        return
    yield Document(id=f.id_prefix, text=text, source=opts.source or f.name, meta=flags)


def _read_blocks(
    f: InputFile, opts: ReadOptions, fh: IO[bytes], source: IO[bytes]
) -> Iterator[Document | Quarantined]:
    decoder = Decoder(opts.encoding_errors)
    block: list[bytes] = []
    size, start, lineno, too_long, seen = 0, 0, 0, False, 0

    def flush() -> Document | Quarantined:
        if too_long:
            limit = opts.max_document_bytes
            return Quarantined(f.name, start, f"block larger than max_document_bytes ({limit})")
        data = b"".join(block).rstrip(b"\r\n")
        try:
            text, flags = decoder.decode(data)
        except UnicodeDecodeError as exc:
            return Quarantined(f.name, start, f"invalid UTF-8 at byte {exc.start}", keep_raw(repr(data)))
        return Document(id=f"{f.id_prefix}:{start}", text=text, source=opts.source or f.name, meta=flags)

    while True:
        line, long_line = read_line(fh, opts.max_document_bytes)
        if not line and not long_line:
            break
        lineno += 1
        if not long_line and not line.strip():
            if block or too_long:
                seen += 1
                yield flush()
            block, size, too_long = [], 0, False
            continue
        if not block and not too_long:
            start = lineno
        size += len(line)
        if long_line or size > opts.max_document_bytes:
            too_long, block = True, []
        else:
            block.append(line)
    damage = stream_damage(source)
    if (block or too_long) and not damage:  # the block the damage cut is part of the damage
        seen += 1
        yield flush()
    if damage:
        what, offset = damage
        error = f"file damaged after {seen} blocks (line {lineno}): {what}"
        yield Quarantined(f.name, None, error, offset=offset)
    elif not seen:
        yield Quarantined(f.name, None, "empty file (only whitespace)")


def read_jsonl(f: InputFile, opts: ReadOptions) -> Iterator[Document | Quarantined]:
    """One document per line; a bad line is quarantined with its line number and the rest is read.

    A damaged compressed stream (garbage after it, cut short, corrupt) ends the file after every
    complete line before the damage, and the damage is one Quarantined with ``line=None``.
    """
    decoder = Decoder(opts.encoding_errors)
    lineno = seen = 0
    partial = b""
    with open_binary(f.path) as fh:
        head, stream, problem = sniff(fh, lines=True)
        if problem:
            yield Quarantined(f.name, None, problem, raw=repr(head[:200]))
            return
        while True:
            raw, too_long = read_line(stream, opts.max_document_bytes)
            if not raw and not too_long:
                break
            lineno += 1
            if too_long:
                seen += 1
                limit = opts.max_document_bytes
                yield Quarantined(f.name, lineno, f"line longer than max_document_bytes ({limit})")
                continue
            if not raw.strip():
                continue
            item = _parse_jsonl_line(raw, f, lineno, opts, decoder)
            if not raw.endswith(b"\n") and stream_damage(fh) and not isinstance(item, Document):
                partial = raw  # the line the damage cut: part of the damage, not a record
                break
            seen += 1
            yield item
        damage = stream_damage(fh)
    if damage:
        what, offset = damage
        error = f"file damaged after {seen} records (line {lineno}): {what}"
        yield Quarantined(f.name, None, error, keep_raw(partial), offset=offset)
    elif not seen:
        yield Quarantined(f.name, None, "empty file (no records)")


class _Unstorable(ValueError):
    """A JSON value that cannot be stored faithfully (the message says why)."""


def _parse_int(token: str) -> int:
    digits = len(token.lstrip("-"))
    limit = sys.get_int_max_str_digits()
    if limit and digits > limit:
        raise _Unstorable(
            f"integer with {digits} digits (Python reads at most {limit}; quote it as a string)"
        )
    return int(token)


def _parse_float(token: str) -> float:
    value = float(token)
    if math.isinf(value):
        raise _Unstorable(f"number {token[:40]} is out of range for a 64-bit float")
    return value


def _parse_constant(token: str) -> Any:
    raise _Unstorable(f"non-standard JSON: {token} (cannot be stored as JSON; write null or a string)")


def _parse_jsonl_line(
    raw: bytes, f: InputFile, lineno: int, opts: ReadOptions, decoder: Decoder
) -> Document | Quarantined:
    if b"\x00" in raw:
        col = raw.index(b"\x00") + 1
        return Quarantined(
            f.name, lineno, f"raw NUL byte at column {col}: binary data, not JSON", keep_raw(raw)
        )
    try:
        line, flags = decoder.decode(raw)
        obj: Any = json.loads(
            line, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant
        )
    except UnicodeDecodeError as exc:
        return Quarantined(f.name, lineno, f"invalid UTF-8 at byte {exc.start}", raw=repr(raw[:MAX_RAW_KEEP]))
    except json.JSONDecodeError as exc:
        return Quarantined(f.name, lineno, f"malformed JSON: {exc.msg} at column {exc.colno}", keep_raw(raw))
    except _Unstorable as exc:
        return Quarantined(f.name, lineno, str(exc), keep_raw(raw))
    except RecursionError:
        return Quarantined(f.name, lineno, "malformed JSON: nested too deeply", keep_raw(raw))
    if not isinstance(obj, dict):
        return Quarantined(f.name, lineno, f"expected a JSON object, got {type(obj).__name__}", keep_raw(raw))
    doc = record_to_document(obj, f, lineno, opts)
    if isinstance(doc, Quarantined):
        doc.raw = keep_raw(raw)
        return doc
    doc.meta.update(flags)
    return doc
