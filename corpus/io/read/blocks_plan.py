"""Planning blocks: which part of which input file each block reads (``corpus.io.read.blocks``).

A ``Block`` is a part of the inputs a worker reads on its own: whole files (small ones grouped),
or a part of one file cut where a record starts. ``plan_file`` cuts one file, ``plan_blocks``
all of them; both may read the files, at memory speed (``bytes.count``, ``bytes.find``, a
regular expression for blank lines, WARC headers), never parsing a record's content.

How a file is cut (a file at most ``target_bytes`` long is always one whole-file block):

- JSONL and text with ``split: paragraphs``, uncompressed: byte offsets (unit ``bytes``). A cut
  is the first line start at or after the target (JSONL), or the first line start after a blank
  line (paragraphs: the reader is between two paragraphs there, whatever their size).
  ``first_line`` is the number of newlines before the cut.
- The same compressed (.gz, .bz2, .xz, .zst): line numbers (unit ``lines``), the same kind of
  cuts counted in lines of the decompressed stream (planning decompresses the file once), about
  ``target_bytes`` of the file on disk apart (each block decompresses the file from its start).
- WARC (.warc, .warc.gz): byte offsets of records (unit ``bytes``), found by walking the record
  headers as ``read_warc`` does; only where a fresh reader reads exactly what the whole-file reader
  does (see ``_warc_cuts``).
- Parquet: row groups (unit ``row_groups``), ``first_line`` = rows before the first group.
- Anything else (text as one document, HTML, CSV, HF folders, a compressed WARC other than
  .warc.gz), and any file with a whole-file problem (empty, binary, only whitespace, no text
  column, unreadable): one whole-file block, read by ``read_input`` itself.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from corpus.io.fs import is_url, open_input, size
from corpus.io.read.base import ReadOptions
from corpus.io.read.compression import open_binary, sniff
from corpus.io.read.listing import COMPRESSED, InputFile
from corpus.io.read.readers import detect_format

__all__ = ["Block", "group_small", "plan_blocks", "plan_file", "record_starts"]

CHUNK = 1 << 22
_BLANK = re.compile(rb"[ \t\r\x0b\x0c]*\n")  # a blank line (bytes.strip's whitespace), matched at its start
_BLANK_NEXT = re.compile(rb"\n([ \t\r\x0b\x0c]*\n)")  # a line end, then a blank line
_CONTENT = re.compile(rb"[^ \t\n\r\x0b\x0c]")


@dataclass(frozen=True)
class Block:
    """A part of the inputs one worker reads: ``files`` whole files from ``file`` (unit ``file``),
    or [start, stop) of file ``file`` in ``unit`` (``bytes``, ``lines``, ``row_groups``; stop None:
    to the end). ``first_line``: records (lines, rows) of the file before the block, so line
    numbers and ids are the file's. ``bytes``: approximate input bytes, for scheduling and progress
    (a compressed file's blocks share its size on disk in proportion to their decompressed bytes).

    >>> Block(3, bytes=120)
    Block(file=3, files=1, unit='file', start=0, stop=None, first_line=0, bytes=120)
    """

    file: int
    files: int = 1
    unit: str = "file"
    start: int = 0
    stop: int | None = None
    first_line: int = 0
    bytes: int = 0


def plan_blocks(files: list[InputFile], config: dict[str, Any], target_bytes: int) -> list[Block]:
    """``plan_file`` for every file, then small whole files grouped (``group_small``)."""
    return group_small(
        [b for number, f in enumerate(files) for b in plan_file(f, number, config, target_bytes)],
        target_bytes,
    )


def group_small(blocks: list[Block], target_bytes: int) -> list[Block]:
    """Consecutive whole-file blocks merged into one (``files > 1``) while their total stays at
    most ``target_bytes``; ``blocks`` are every file's, in order (engines plan files apart)."""
    out: list[Block] = []
    for block in blocks:
        prev = out[-1] if out else None
        if (
            prev is not None
            and block.unit == prev.unit == "file"
            and prev.file + prev.files == block.file
            and prev.bytes + block.bytes <= target_bytes
        ):
            out[-1] = replace(prev, files=prev.files + 1, bytes=prev.bytes + block.bytes)
        else:
            out.append(block)
    return out


def plan_file(f: InputFile, number: int, config: dict[str, Any], target_bytes: int) -> list[Block]:
    """The blocks of one file (``number``: its index in the listed files), in order; together
    they read exactly what ``read_input(f, config)`` reads (see ``corpus.io.read.blocks``)."""
    if target_bytes < 1:
        raise ValueError(f"target_bytes must be >= 1, got {target_bytes}")
    fmt = detect_format(f.path, config.get("format", "auto"))
    opts = ReadOptions.from_config(config)
    whole = [Block(number, bytes=_size(f.path, fmt))]
    if whole[0].bytes <= target_bytes:
        return whole
    try:
        if fmt == "jsonl" or (fmt == "text" and opts.split == "paragraphs"):
            blocks = _plan_lines(f, number, opts, target_bytes, fmt == "text", whole[0].bytes)
        elif fmt == "warc":
            blocks = _plan_warc(f, number, target_bytes, whole[0].bytes)
        elif fmt == "parquet":
            blocks = _plan_parquet(f, number, opts, target_bytes)
        else:
            blocks = []
    except Exception:  # a file planning cannot read is one block: its reader says why, as read_input
        blocks = []
    return blocks if len(blocks) > 1 else whole


def _size(path: str, fmt: str) -> int:
    if fmt == "hf" and not is_url(path) and os.path.isdir(path):
        return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())
    try:
        return size(path)
    except OSError:
        return 0


def record_starts(
    stream: IO[bytes], target: int, paragraphs: bool, limit: int
) -> tuple[list[tuple[int, int]], int, bool]:
    """Cuts of a line stream into parts of about ``target`` bytes: ([(offset, newlines before)],
    stream length, whether it holds anything but whitespace). A cut is the first record start
    at least ``target`` bytes after the previous cut: a line start (JSONL), or the start of a line
    after a blank line of at most ``limit + 1`` bytes (paragraphs: a longer one is no blank line
    to the reader). One pass in chunks; memory: a chunk and one line that may be blank.

    >>> import io
    >>> record_starts(io.BytesIO(b'{"a": 1}\\n\\n{"b": 2}\\n{"c": 3}'), 4, False, 100)
    ([(9, 1), (19, 3)], 27, True)
    >>> record_starts(io.BytesIO(b"one\\ntwo\\n \\r\\nthree\\n\\nfour"), 1, True, 100)
    ([(11, 3), (18, 5)], 22, True)
    """
    cuts: list[tuple[int, int]] = []
    buf, base, lines, content, want = b"", 0, 0, False, target
    while chunk := stream.read(CHUNK):
        content = content or _CONTENT.search(chunk) is not None
        buf += chunk  # buf[k] is at stream offset base + k; buf starts a line (or a non-blank byte)
        end = buf.rfind(b"\n") + 1  # the complete lines
        counted = 0
        while end and want - base <= end:
            cut = _next_cut(buf, max(want - 1 - base, 0), end, paragraphs, limit)
            if cut is None:
                break
            lines += buf.count(b"\n", counted, cut)
            counted = cut
            cuts.append((base + cut, lines))
            want = base + cut + target
        lines += buf.count(b"\n", counted, end)
        rest = buf[end:]
        if not paragraphs:
            base, buf = base + len(buf), b""
        elif len(rest) <= limit + 1 and not _CONTENT.search(rest):
            base, buf = base + end, rest  # a line that may still be blank
        else:
            base, buf = base + len(buf) - 1, b"x"  # a line that is not blank: one byte stands for it
    total = base + len(buf)
    return [c for c in cuts if c[0] < total], total, content


def _next_cut(buf: bytes, i: int, end: int, paragraphs: bool, limit: int) -> int | None:
    """The first record start after the line holding buf[i], within buf[:end]; None if none."""
    if not paragraphs:
        nl = buf.find(b"\n", i, end)
        return None if nl < 0 else nl + 1
    pos = buf.rfind(b"\n", 0, i) + 1  # the start of the line holding buf[i]
    found = _BLANK.match(buf, pos, end)
    if found and found.end() - pos <= limit + 1:
        return found.end()
    while found := _BLANK_NEXT.search(buf, pos, end):
        if found.end() - found.start(1) <= limit + 1:
            return found.end()
        pos = found.end() - 1
    return None


def _plan_lines(
    f: InputFile, number: int, opts: ReadOptions, target: int, paragraphs: bool, on_disk: int
) -> list[Block]:
    compressed = Path(f.path).suffix.lower() in COMPRESSED
    with open_binary(f.path) as fh:
        _head, stream, problem = sniff(fh, lines=not paragraphs)
        if problem:
            return []
        cuts, total, content = record_starts(stream, target, paragraphs, opts.max_document_bytes)
    if not content:  # no record at all: the reader's "empty file" is the file's one item
        return []
    if compressed:  # about target_bytes of the file on disk each: every block decompresses from the start
        cuts = _thin(cuts, target * total / max(on_disk, 1))
    bounds = [(0, 0), *cuts]
    blocks = []
    for k, (offset, lines) in enumerate(bounds):
        end, end_line = bounds[k + 1] if k + 1 < len(bounds) else (total, None)
        if compressed:
            share = round(on_disk * (end - offset) / max(total, 1))
            blocks.append(Block(number, 1, "lines", lines, end_line, lines, share))
        else:
            stop = end if end_line is not None else None
            blocks.append(Block(number, 1, "bytes", offset, stop, lines, end - offset))
    return blocks


def _thin(cuts: list[tuple[int, int]], apart: float) -> list[tuple[int, int]]:
    """The cuts at least ``apart`` bytes after the one kept before them."""
    kept: list[tuple[int, int]] = []
    for cut in cuts:
        if cut[0] - (kept[-1][0] if kept else 0) >= apart:
            kept.append(cut)
    return kept


def _plan_warc(f: InputFile, number: int, target: int, on_disk: int) -> list[Block]:
    if Path(f.path).suffix.lower() in (".bz2", ".xz", ".zst"):
        return []  # .warc.bz2/.xz/.zst: a stream read from its start (read_warc cannot seek it)
    bounds = [0, *_warc_cuts(f.path, target)]
    return [
        Block(number, 1, "bytes", start, stop, 0, (stop or on_disk) - start)
        for start, stop in zip(bounds, [*bounds[1:], None], strict=True)
    ]


def _warc_cuts(path: str, target: int) -> list[int]:
    """Record offsets where a block may start, about ``target`` bytes apart.

    The records are walked as ``read_warc`` walks them (warcio, resuming after a broken record
    at the next record start). A cut is allowed at a record that reads cleanly (a fresh reader
    there reads what the whole-file reader reads), that is a gzip member start in a .warc.gz, and
    that no WARC-Record-ID spans (records sharing an id stay in one block, so the ``@<offset>``
    that makes a repeated id unique is given as in one pass). A file with an id holding ``@`` is
    not cut: a made-up ``<id>@<offset>`` could equal it.
    """
    from warcio.archiveiterator import ArchiveIterator

    from corpus.io.read.web import _header_problem, _next_record_start

    records: list[tuple[int, str, bool]] = []  # (offset, id, clean)
    with open_input(path) as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"
        pos: int | None = 0
        while pos is not None:
            fh.seek(pos)
            it = ArchiveIterator(fh)
            failed_at: int | None = None
            try:
                for record in it:
                    broken = _header_problem(record)
                    rec_id = (record.rec_headers.get_header("WARC-Record-ID") or "").strip("<> ")
                    records.append((it.offset, rec_id, not broken))
                    if broken:
                        failed_at = it.offset
                        break
            except Exception:  # as read_warc: a broken record, resume at the next record start
                failed_at = it.offset
                records.append((failed_at, "", False))
            if failed_at is None:
                break
            pos = _next_record_start(fh, failed_at + 1, gzipped)
        if any("@" in rec_id for _, rec_id, _ in records):
            return []
        clean: dict[int, bool] = {}
        for offset, _, ok in records:
            clean[offset] = clean.get(offset, True) and ok
        last = {rec_id: k for k, (_, rec_id, _) in enumerate(records) if rec_id}
        cuts, spanned, want = [], -1, target
        for k, (offset, rec_id, _) in enumerate(records):
            if k and spanned < k and offset >= want and clean[offset] and offset > records[k - 1][0]:
                fh.seek(offset)
                if not gzipped or fh.read(2) == b"\x1f\x8b":
                    cuts.append(offset)
                    want = offset + target
            if rec_id:
                spanned = max(spanned, last[rec_id])
    return cuts


def _plan_parquet(f: InputFile, number: int, opts: ReadOptions, target: int) -> list[Block]:
    import pyarrow.parquet as pq

    if Path(f.path).suffix.lower() in COMPRESSED:
        return []
    with open_input(f.path) as src, pq.ParquetFile(src) as pf:
        if opts.text_field not in pf.schema_arrow.names:
            return []
        meta = pf.metadata
        groups = []
        for g in range(meta.num_row_groups):
            rg = meta.row_group(g)
            compressed = sum(rg.column(c).total_compressed_size for c in range(rg.num_columns))
            groups.append((rg.num_rows, compressed))
    blocks: list[Block] = []
    start, rows, nbytes, first = 0, 0, 0, 0
    for g, (n, b) in enumerate(groups):
        nbytes, rows = nbytes + b, rows + n
        if nbytes >= target or g == len(groups) - 1:
            stop = g + 1 if g < len(groups) - 1 else None
            blocks.append(Block(number, 1, "row_groups", start, stop, first, nbytes))
            start, first, nbytes = g + 1, rows, 0
    return blocks
