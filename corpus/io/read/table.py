"""Table readers: CSV / TSV, Parquet, and Hugging Face datasets on disk.

The text, id and url columns are named in config (``text_field``, ``id_field``, ``url_field``);
every other column goes into ``meta``. A record without an id gets ``<path>:<line or row>``.

- ``csv``: the stdlib csv module over decoded lines (so each line goes through the encoding
  policy); the first row is the header; ``delimiter`` defaults to a tab for .tsv/.tab files and a
  comma otherwise. A row with the wrong number of fields is quarantined with its line number.
- ``parquet``: pyarrow, one record batch at a time (memory: one row group).
- ``hf``: a ``save_to_disk`` folder (Arrow stream files listed in state.json; every split of a
  dataset_dict.json), or a Hub layout folder (data/**/*.parquet, as this toolkit writes).
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import IO, Any

from corpus.document import Document
from corpus.errors import BuildError, InputError
from corpus.io.fs import is_url, open_input
from corpus.io.read.base import Quarantined, ReadOptions, keep_raw, read_record, record_to_document
from corpus.io.read.compression import open_binary, read_line, sniff, stream_damage
from corpus.io.read.decoding import Decoder
from corpus.io.read.listing import COMPRESSED, InputFile, hub_data_kind

BATCH_ROWS = 64


class _DecodedLines:
    """Decoded lines for csv.reader, noting for the current row what the decoder flagged and
    whether a line was too long to keep."""

    def __init__(self, fh: IO[bytes], opts: ReadOptions) -> None:
        self.fh, self.limit = fh, opts.max_document_bytes
        self.decoder = Decoder(opts.encoding_errors)
        self.flags: dict[str, Any] = {}
        self.problem = ""
        self.raw: list[str] = []
        self.ended = True  # the last line read ended with a newline

    def __iter__(self) -> Iterator[str]:
        while True:
            line, too_long = read_line(self.fh, self.limit)
            if too_long:
                self.problem = f"row longer than max_document_bytes ({self.limit})"
                yield "\n"
                continue
            if not line:
                return
            if b"\x00" in line:
                col = line.index(b"\x00") + 1
                self.problem = f"raw NUL byte at column {col}: binary data, not text"
            try:
                text, flags = self.decoder.decode(line)
            except InputError as exc:  # strict: the row is quarantined, the next one is read
                self.problem = exc.reason
                text, flags = line.decode("utf-8", errors="replace"), {}
            self.flags.update(flags)
            self.ended = line.endswith(b"\n")
            if sum(map(len, self.raw)) < 4096:
                self.raw.append(text)
            yield text

    def take(self) -> tuple[dict[str, Any], str, str]:
        out = (self.flags, self.problem, keep_raw("".join(self.raw)))
        self.flags, self.problem, self.raw = {}, "", []
        return out


def read_csv(f: InputFile, opts: ReadOptions) -> Iterator[Document | Quarantined]:
    """One document per row; the header names the columns."""
    delimiter = opts.delimiter or ("\t" if _base_suffix(f.path) in (".tsv", ".tab") else ",")
    # The csv module's per-field cap (128 KiB by default) would cut long articles; raise it to ours.
    csv.field_size_limit(max(csv.field_size_limit(), opts.max_document_bytes))
    with open_binary(f.path) as fh:
        head, stream, problem = sniff(fh, lines=True)
        if problem:
            raise InputError(problem, path=f.name, raw=repr(head[:200]))
        lines = _DecodedLines(stream, opts)
        reader = csv.reader(iter(lines), delimiter=delimiter, strict=True)
        header: list[str] | None = None
        last_line, seen, partial = 0, 0, ""
        while True:
            start = last_line + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                if not lines.ended and stream_damage(fh):
                    partial = lines.take()[2]
                    break
                last_line = reader.line_num
                seen += 1
                error = InputError(f"malformed CSV: {exc}", path=f.name, line=start, raw=lines.take()[2])
                yield Quarantined.from_error(error)
                continue
            last_line = reader.line_num
            flags, problem, raw = lines.take()
            if not lines.ended and stream_damage(fh):  # the row the damage cut: part of the damage
                partial = raw
                break
            if not row and not problem:
                continue  # a blank line is no record
            if header is None:
                header = row
                if opts.text_field not in header:
                    cols = ", ".join(header[:20])
                    error = f"no column {opts.text_field!r} in the header: {cols}"
                    raise InputError(error, path=f.name, line=start)
                continue
            seen += 1
            yield read_record(_row_document, row, header, (problem, raw, flags), f, start, opts)
        damage = stream_damage(fh)
    if damage:
        what, offset = damage
        error = f"file damaged after {seen} records (line {last_line}): {what}"
        raise InputError(error, path=f.name, raw=partial, offset=offset)
    if not seen:
        raise InputError("no records (only a header, or nothing)", path=f.name)


def _row_document(
    row: list[str],
    header: list[str],
    read: tuple[str, str, dict[str, Any]],
    f: InputFile,
    line: int,
    opts: ReadOptions,
) -> Document:
    """One CSV row as a Document; ``read`` = (problem, raw, flags) from reading its lines."""
    problem, raw, flags = read
    if problem:
        raise InputError(problem, path=f.name, line=line, raw=raw)
    if len(row) != len(header):
        raise InputError(f"expected {len(header)} fields, got {len(row)}", path=f.name, line=line, raw=raw)
    doc = record_to_document(dict(zip(header, row, strict=True)), f, line, opts)
    doc.meta.update(flags)
    return doc


def _base_suffix(path: str) -> str:
    p = Path(path)
    return (p.with_suffix("") if p.suffix.lower() in COMPRESSED else p).suffix.lower()


def _table_rows(
    batches: Iterator[Any], f: InputFile, opts: ReadOptions, name: str, first: int
) -> Iterator[Document | Quarantined]:
    n = first
    for batch in batches:
        for row in batch.to_pylist():
            n += 1
            yield read_record(record_to_document, row, f, n, opts, name)


def _check_columns(names: list[str], opts: ReadOptions, path: str) -> None:
    if opts.text_field not in names:
        raise InputError(f"no column {opts.text_field!r}; columns: {', '.join(names[:20])}", path=path)


def read_parquet(
    f: InputFile, opts: ReadOptions, *, row_groups: range | None = None, first_line: int = 0
) -> Iterator[Document | Quarantined]:
    """One document per row, one record batch at a time.

    ``row_groups`` (for ``corpus.io.read.blocks``): only those row groups, their rows numbered
    from ``first_line + 1`` (the rows of the groups before them)."""
    if Path(f.path).suffix.lower() in COMPRESSED:
        raise InputError("compressed Parquet is not supported: Parquet compresses inside", path=f.name)
    yield from _parquet_rows(f, opts, f.path, f.name, first_line, row_groups)


def _parquet_rows(
    f: InputFile, opts: ReadOptions, path: str, name: str, first: int, row_groups: range | None = None
) -> Iterator[Any]:
    import pyarrow.parquet as pq

    source = open_input(path) if is_url(path) else nullcontext(path)  # a URL: an fsspec file object
    with source as src, pq.ParquetFile(src) as pf:
        _check_columns(pf.schema_arrow.names, opts, name)
        last = pf.num_row_groups
        groups = None if row_groups is None else list(range(row_groups.start, min(row_groups.stop, last)))
        batches = pf.iter_batches(batch_size=BATCH_ROWS, row_groups=groups)
        yield from _table_rows(batches, f, opts, name, first)


def _arrow_rows(f: InputFile, opts: ReadOptions, path: str, name: str, first: int) -> Iterator[Any]:
    import pyarrow as pa

    with pa.memory_map(path) as source, pa.ipc.open_stream(source) as reader:
        _check_columns(reader.schema.names, opts, name)
        yield from _table_rows(iter(reader), f, opts, name, first)


def _inside(folder: Path, listed: Any, what: str) -> Path:
    """A path a dataset's metadata lists, refused unless it stays inside the folder: a planted
    state.json must not make a build read (and publish) files from elsewhere."""
    if not isinstance(listed, str) or not listed or Path(listed).is_absolute():
        raise ValueError(f"{what} lists {listed!r}, not a relative path inside the folder; refused")
    path = folder / listed
    if not os.path.realpath(path).startswith(os.path.realpath(folder) + os.sep):
        raise ValueError(f"{what} lists {listed!r}, outside the dataset folder; refused")
    return path


def hf_data_files(folder: Path) -> list[tuple[str, Path]]:
    """(kind, file) for each data file of an HF dataset folder, in reading order."""
    if (folder / "dataset_dict.json").is_file():
        splits = json.loads((folder / "dataset_dict.json").read_text(encoding="utf-8"))["splits"]
        paths = [_inside(folder, split, "dataset_dict.json") for split in splits]
        return [item for path in paths for item in hf_data_files(path)]
    if (folder / "state.json").is_file():
        state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
        files = state.get("_data_files", [])
        return [("arrow", _inside(folder, d.get("filename"), "state.json")) for d in files]
    found = [(kind, p) for p in sorted((folder / "data").glob("**/*")) if (kind := hub_data_kind(p.name))]
    kinds = sorted({kind for kind, _ in found})
    if len(kinds) > 1:
        raise ValueError("data/ holds both Parquet and JSONL files; name the ones to read in input.paths")
    return [(kind, _inside(folder, p.relative_to(folder).as_posix(), "data/")) for kind, p in found]


def _jsonl_rows(f: InputFile, opts: ReadOptions, path: str, name: str, first: int) -> Iterator[Any]:
    """The rows of one JSONL data file of a dataset folder, numbered on from ``first``."""
    n = first
    with open_binary(path) as fh:
        for line, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            n += 1
            try:
                row = json.loads(raw)
            except ValueError as exc:
                error = f"not JSON: {exc}"
                yield Quarantined.from_error(InputError(error, path=name, line=line, raw=keep_raw(raw)))
                continue
            if not isinstance(row, dict):
                error = f"a JSON {type(row).__name__}, not an object"
                yield Quarantined.from_error(InputError(error, path=name, line=line, raw=keep_raw(raw)))
                continue
            yield read_record(record_to_document, row, f, n, opts, name)


def read_hf(f: InputFile, opts: ReadOptions) -> Iterator[Document | Quarantined]:
    """Every row of every data file of a Hugging Face dataset folder; ids count rows across files."""
    folder = Path(f.path)
    if not folder.is_dir():
        raise InputError("format hf needs a dataset folder (save_to_disk or Hub layout)", path=f.name)
    try:
        files = hf_data_files(folder)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"unreadable dataset metadata in {f.name}: {exc}", path=f.name) from None
    if not files:
        error = "no data files (state.json, dataset_dict.json, data/*.parquet or data/*.jsonl)"
        raise InputError(error, path=f.name)
    n = 0
    readers = {"arrow": _arrow_rows, "parquet": _parquet_rows, "jsonl": _jsonl_rows}
    for kind, path in files:
        rows = readers[kind]
        name = f"{f.name}/{path.relative_to(folder).as_posix()}"
        try:
            for item in rows(f, opts, path.as_posix(), name, n):
                n += 1
                yield item
        except PermissionError as exc:  # the machine's problem, not the data's: stop the build
            raise BuildError(f"input {name}: cannot open: {exc.strerror or exc}") from None
        except InputError as exc:  # one broken data file must not hide the others
            n += 1  # the file's one item (no text column) counts as a row, as the ids always have
            yield Quarantined.from_error(exc)
        except Exception as exc:  # pyarrow's own errors (ArrowInvalid, OSError, ...) alike
            error = f"cannot read after {n} rows: {type(exc).__name__}: {exc}"
            yield Quarantined.from_error(InputError(error, path=name))
