"""Reading the inputs in blocks: each worker reads its own part of the inputs.

The contract, for any files, config (the ``input`` section) and ``target_bytes``::

    [item for b in plan_blocks(files, config, t) for item in read_block(b, files, config)]
    == [item for f in files for item in read_input(f, config)]

item for item: the same Documents (ids, meta), Quarantined (lines, offsets) and Skipped, in the
same order. A whole-file problem (empty, binary, a damaged compressed stream) is one item, where
``read_input`` puts it: whole-file problems found when planning make the file one block, and the
damage of a compressed stream is reported by its last block only. Line numbers and line-based
ids are the file's (``Block.first_line``).

How files are cut is ``corpus.io.read.blocks_plan``'s business (``plan_file``, ``plan_blocks``,
``Block``, re-exported here); this module reads a block:

- ``file``: ``read_input`` over each file of the block;
- ``bytes`` (uncompressed JSONL or paragraphs): the byte range read through ``io.fs.open_input``,
  its lines numbered from ``first_line``; (WARC): ``read_warc`` from ``start`` to ``stop``;
- ``lines`` (compressed JSONL or paragraphs): decompress from the start, skip ``start`` lines
  without parsing them (counted in chunks; the last block, which reports the stream's damage,
  reads them one by one to count the records before it, as the damage message says how many);
- ``row_groups``: ``read_parquet`` over those row groups.

Known difference: an error that stops a whole-file reader in the middle of a file (an I/O
error, a corrupt Parquet page, a WARC payload that makes warcio or trafilatura raise and a resync
that lands elsewhere than planning's) stops only its block; the blocks after it are still read.
"""

from __future__ import annotations

import io
import lzma
import sys
from collections.abc import Iterator
from typing import IO, Any

from corpus.document import Document
from corpus.errors import BuildError, ConfigError, InputError
from corpus.io.fs import open_input
from corpus.io.read import table, text, web
from corpus.io.read.base import Quarantined, ReadOptions, Skipped, clean_document, safe_text
from corpus.io.read.blocks_plan import CHUNK, Block, group_small, plan_blocks, plan_file
from corpus.io.read.compression import open_binary, read_line
from corpus.io.read.listing import InputFile
from corpus.io.read.readers import SURROGATE_GUARDED_FORMATS, detect_format, read_input

__all__ = ["Block", "group_small", "plan_blocks", "plan_file", "read_block"]

Item = Document | Quarantined | Skipped


def read_block(block: Block, files: list[InputFile], config: dict[str, Any]) -> Iterator[Item]:
    """Exactly the items ``read_input`` yields for the records of ``block``, in order."""
    if block.unit == "file":
        return (item for f in files[block.file : block.file + block.files] for item in read_input(f, config))
    f = files[block.file]
    fmt = detect_format(f.path, config.get("format", "auto"))
    opts = ReadOptions.from_config(config)
    before = 0
    if block.unit == "row_groups":
        groups = range(block.start, sys.maxsize if block.stop is None else block.stop)
        items = table.read_parquet(f, opts, row_groups=groups, first_line=block.first_line)
        before = block.first_line
    elif fmt == "warc":
        items = web.read_warc(f, opts, start=block.start, stop=block.stop)
    elif block.unit == "bytes":
        items = _byte_range(f, opts, block, fmt == "text")
    elif block.unit == "lines":
        items = _line_range(f, opts, block, fmt == "text")
    else:
        raise ValueError(f"read_block: unit {block.unit!r} for format {fmt}")
    return _guarded(f, items, opts.encoding_errors, fmt in SURROGATE_GUARDED_FORMATS, before)


def _byte_range(f: InputFile, opts: ReadOptions, block: Block, paragraphs: bool) -> Iterator[Item]:
    reader = text.read_paragraphs if paragraphs else text.jsonl_records
    with open_input(f.path) as fh:
        fh.seek(block.start)
        length = None if block.stop is None else block.stop - block.start
        stream = io.BufferedReader(_Part(fh, b"", length, None), buffer_size=1 << 16)
        yield from reader(f, opts, stream, None, first_line=block.first_line)


def _line_range(f: InputFile, opts: ReadOptions, block: Block, paragraphs: bool) -> Iterator[Item]:
    reader = text.read_paragraphs if paragraphs else text.jsonl_records
    with open_binary(f.path) as fh:
        if block.stop is None:  # the file's end: its damage and its record count are reported here
            seen = _count_records(fh, block.start, paragraphs, opts.max_document_bytes)
            yield from reader(f, opts, fh, fh, first_line=block.first_line, seen=seen)
            return
        rest = _skip_lines(fh, block.start)
        stream = io.BufferedReader(_Part(fh, rest, None, block.stop - block.start), buffer_size=1 << 16)
        yield from reader(f, opts, stream, None, first_line=block.first_line)


def _skip_lines(fh: IO[bytes], n: int) -> bytes:
    """Read past ``n`` lines, counting newlines in chunks; the bytes read after them."""
    while n:
        chunk = fh.read(CHUNK)
        if not chunk:
            return b""
        k = chunk.count(b"\n")
        if k < n:
            n -= k
            continue
        return chunk[_nth_newline(chunk, n) + 1 :]
    return b""


def _nth_newline(data: bytes, n: int) -> int:
    pos = -1
    for _ in range(n):
        pos = data.index(b"\n", pos + 1)
    return pos


def _count_records(fh: IO[bytes], n: int, paragraphs: bool, limit: int) -> int:
    """Read past ``n`` lines as the reader reads them; the records they hold (JSONL: lines not
    blank or too long; paragraphs: runs of such lines)."""
    seen, blank = 0, True
    for _ in range(n):
        line, too_long = read_line(fh, limit)
        filled = too_long or bool(line.strip())
        if filled and (blank or not paragraphs):
            seen += 1
        blank = not filled
    return seen


class _Part(io.RawIOBase):
    """``head`` then ``fh``, ending after ``length`` bytes or ``lines`` newlines (None: no limit)."""

    def __init__(self, fh: IO[bytes], head: bytes, length: int | None, lines: int | None) -> None:
        self._fh, self._head, self._length, self._lines = fh, head, length, lines

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        want = len(b) if self._length is None else min(len(b), self._length)
        if want <= 0 or self._lines == 0:
            return 0
        if self._head:
            data, self._head = self._head[:want], self._head[want:]
        else:
            data = self._fh.read(want)
        if self._lines is not None:
            k = data.count(b"\n")
            if k >= self._lines:
                data, k = data[: _nth_newline(data, self._lines) + 1], self._lines
            self._lines -= k
        if self._length is not None:
            self._length -= len(data)
        b[: len(data)] = data
        return len(data)


def _guarded(f: InputFile, items: Iterator[Any], policy: str, check: bool, before: int) -> Iterator[Any]:
    """``corpus.io.read.readers._guarded`` for a block: the same items, the same errors turned
    into one Quarantined naming the file, records counted from ``before`` (the block's first)."""
    n = before
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
