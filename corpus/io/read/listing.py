"""Listing and checking the inputs: which files a build reads, and that each can be read.

``expand_inputs`` turns ``input.paths`` (files, folders, glob patterns with ``**``) into
``InputFile`` records in a stable sorted order, each real file once; our own walk follows a
symlinked folder once (a loop ends where it returns). ``check_readable`` stops the build before
any reading when an input is missing, a dangling symlink, a special file or not permitted.

A pattern that is a URL (``s3://bucket/prefix/*.jsonl``, a folder ``s3://bucket/dir/``, one
object) is listed with its fsspec filesystem; its inputs are named by their URL, credentials
masked (``corpus.io.fs.shown``), and read through ``corpus.io.fs.open_input``.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import posixpath
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from corpus.errors import BuildError, ConfigError
from corpus.io.fs import check_bucket, filesystem, is_url, shown

TEXT_SUFFIXES = {".txt", ".text", ".md"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
CSV_SUFFIXES = {".csv", ".tsv", ".tab"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
WARC_SUFFIXES = {".warc", ".arc"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
COMPRESSED = {".gz", ".bz2", ".xz", ".zst"}
KNOWN_SUFFIXES = TEXT_SUFFIXES | JSONL_SUFFIXES | CSV_SUFFIXES | HTML_SUFFIXES | WARC_SUFFIXES
KNOWN_SUFFIXES |= PARQUET_SUFFIXES | COMPRESSED


@dataclass(frozen=True)
class InputFile:
    """One input. ``path`` is where to read it; ``name`` is how anything we write records it
    (relative, posix: an absolute path of the building machine must not be published)."""

    path: str  # as the user named it (relative stays relative); a folder for an HF dataset
    id_prefix: str  # path relative to the pattern's base, without suffixes
    name: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.path)


def _strip_suffixes(name: str) -> str:
    p = Path(name)
    while p.suffix.lower() in KNOWN_SUFFIXES:
        p = p.with_suffix("")
    return p.as_posix()


def glob_base(pattern: str) -> str:
    """The folders of a glob pattern before its first wildcard (``.`` when it starts with one)."""
    parts = Path(pattern).parts
    base = [p for p in parts[: next((i for i, p in enumerate(parts) if glob.has_magic(p)), len(parts))]]
    return str(Path(*base)) if base else "."


def hub_data_kind(name: str) -> str | None:
    """The kind of a data file of a Hub layout folder, as ``output.format`` writes them: parquet
    (.parquet) or jsonl (.jsonl with .zst, .gz or nothing); None for any other file.

    >>> [hub_data_kind(n) for n in ("train-00000-of-00001.parquet", "a.jsonl.zst", "README.md")]
    ['parquet', 'jsonl', None]
    """
    lower = name.lower()
    if lower.endswith(".parquet"):
        return "parquet"
    if lower.endswith((".jsonl", ".jsonl.zst", ".jsonl.gz")):
        return "jsonl"
    return None


def is_hf_dataset_dir(path: str | Path) -> bool:
    """A ``save_to_disk`` folder (state.json + dataset_info.json, or dataset_dict.json) or a Hub
    layout folder (README.md and data/*.parquet, or data/*.jsonl[.zst|.gz] as ``output.format: jsonl``
    writes them)."""
    p = Path(path)
    if not p.is_dir():
        return False
    if (p / "dataset_dict.json").is_file():
        return True
    if (p / "state.json").is_file() and (p / "dataset_info.json").is_file():
        return True
    if not (p / "README.md").is_file():
        return False
    return any(hub_data_kind(q.name) for q in (p / "data").glob("**/*"))


def _walk_all(root: str) -> Iterator[tuple[str, list[str], list[str]]]:
    """os.walk following symlinked folders, each real folder once (a loop ends where it returns);
    an unreadable folder is a BuildError naming it, never skipped in silence."""

    def fail(exc: OSError) -> None:
        where = exc.filename or root
        raise BuildError(f"input.paths: cannot read directory {where}: {exc.strerror or exc}")

    visited: set[str] = set()
    top = os.path.realpath(root)
    for dirpath, dirnames, filenames in os.walk(root, onerror=fail, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in visited:
            dirnames.clear()
            continue
        visited.add(real)
        # A symlink to a folder inside the root is walked under its real name, not the link's.
        dirnames[:] = sorted(d for d in dirnames if not _links_inside(os.path.join(dirpath, d), top))
        yield dirpath, dirnames, filenames


def _links_inside(path: str, top: str) -> bool:
    if not os.path.islink(path):
        return False
    real = os.path.realpath(path)
    return real == top or real.startswith(top + os.sep)


def _walk(root: str) -> list[str]:
    """Files under ``root``, sorted; an HF dataset folder inside counts as one input."""
    out = []
    for dirpath, dirnames, filenames in _walk_all(root):
        if is_hf_dataset_dir(dirpath):
            out.append(dirpath)
            dirnames.clear()
            continue
        out += [os.path.join(dirpath, name) for name in filenames]
    return sorted(Path(p).as_posix() for p in out)


def _match_parts(parts: list[str], pats: list[str]) -> bool:
    """glob semantics on path components: ``**`` is any number of folders, ``*`` no hidden name."""
    if not pats:
        return not parts
    if pats[0] == "**":
        if _match_parts(parts, pats[1:]):
            return True
        return bool(parts) and not parts[0].startswith(".") and _match_parts(parts[1:], pats)
    if not parts or (parts[0].startswith(".") and not pats[0].startswith(".")):
        return False
    return fnmatch.fnmatchcase(parts[0], pats[0]) and _match_parts(parts[1:], pats[1:])


def _glob_candidates(pattern: str) -> list[str]:
    """Paths matching a glob. ``**`` is expanded by our own walk, which follows a symlink loop
    once: the stdlib's follows it until the kernel's limit (one file read 41 times, or hours)."""
    if "**" not in pattern:
        return glob.glob(pattern)
    base = glob_base(pattern)
    if not os.path.isdir(base):
        return []
    pats = list(Path(os.path.relpath(pattern, base)).parts)
    out = []
    for dirpath, _dirnames, filenames in _walk_all(base):
        rel = Path(os.path.relpath(dirpath, base)).parts
        rel = [] if rel == (".",) else list(rel)
        if rel and _match_parts(rel, pats):
            out.append(dirpath)
        out += [os.path.join(dirpath, n) for n in filenames if _match_parts([*rel, n], pats)]
    if base == "." and not pattern.startswith("."):  # as glob names them: "a/b", not "./a/b"
        out = [os.path.normpath(p) for p in out]
    return out


def check_readable(path: str) -> None:
    """Stop before reading a byte when an input cannot be read: missing, a dangling symlink, a
    special file (a FIFO or /dev/zero would hang the build), or no read permission. A URL must
    name an object (a file), not a folder or nothing."""
    if is_url(path):
        _check_url_readable(path)
        return
    try:
        st = os.stat(path)
    except OSError as exc:
        dangling = os.path.islink(path)
        what = "dangling symbolic link" if dangling else exc.strerror or str(exc)
        raise BuildError(f"input {path}: {what}; fix or remove it from input.paths") from None
    if stat.S_ISDIR(st.st_mode):
        if not is_hf_dataset_dir(path):
            raise BuildError(f"input {path}: a directory that is not a Hugging Face dataset folder")
        if not os.access(path, os.R_OK | os.X_OK):
            raise BuildError(f"input {path}: permission denied (cannot list the folder)")
        return
    if not stat.S_ISREG(st.st_mode):
        raise BuildError(f"input {path}: not a regular file (a FIFO, device or socket); refused")
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise BuildError(f"input {path}: cannot open: {exc.strerror or exc}") from None


def _check_url_readable(url: str) -> None:
    fs, inner = filesystem(url)
    try:
        fs.invalidate_cache(inner)
        info = fs.info(inner)
    except FileNotFoundError:
        check_bucket(url, "input")
        raise BuildError(f"input {shown(url)}: no such object; fix or remove it from input.paths") from None
    except OSError as exc:  # PermissionError, a store's own OSError
        raise BuildError(f"input {shown(url)}: cannot read: {exc}") from None
    if info.get("type") != "file":
        raise BuildError(f"input {shown(url)}: a folder, not a file; give the folder as a pattern instead")


# Files that make a folder a Hugging Face dataset (see is_hf_dataset_dir), refused at a URL.
_HF_MARKERS = ("dataset_dict.json", "state.json")


def _url_base(pattern: str) -> str:
    """A URL pattern's text before its first wildcard part: ``s3://b/p/*.jsonl`` -> ``s3://b/p``."""
    head, sep, rest = pattern.rpartition("://")
    parts = rest.split("/")
    keep = parts[: next((i for i, p in enumerate(parts) if glob.has_magic(p)), len(parts))]
    return head + sep + "/".join(keep).rstrip("/")


def _expand_url(pattern: str) -> tuple[list[str], str]:
    """(matching object URLs sorted, the URL ids are taken relative to) for a URL pattern.

    A folder (``.../dir/`` or a prefix holding objects) is every object under it; a glob is
    matched with the filesystem's own glob; the URLs keep the pattern's text (scheme, chain,
    credentials) and only add the path after its base. An empty listing of a bucket that does
    not exist is a BuildError naming the bucket."""
    fs, inner = filesystem(pattern)
    try:
        if glob.has_magic(inner):
            base = _url_base(pattern)
            base_inner = filesystem(base)[1].rstrip("/")
            found = fs.glob(inner, detail=True)
        else:
            base, base_inner = pattern.rstrip("/"), inner.rstrip("/")
            fs.invalidate_cache(base_inner)
            info = None if pattern.endswith("/") else _info(fs, base_inner)
            if info is not None and info.get("type") == "file":
                return [pattern], pattern.rsplit("/", 1)[0]
            found = fs.find(base_inner, detail=True)
    except FileNotFoundError:
        found = {}
    except OSError as exc:
        raise BuildError(f"input.paths: cannot list {shown(pattern)}: {exc}") from None
    rels = sorted(
        posixpath.relpath(p.rstrip("/"), base_inner) if base_inner else p
        for p, info in found.items()
        if info.get("type") == "file"
    )
    if not rels:
        check_bucket(pattern, "input.paths")
        if not glob.has_magic(inner) and not pattern.endswith("/"):
            raise BuildError(f"input.paths: no such object or folder: {shown(pattern)}")
    for rel in rels:
        folder, _, name = rel.rpartition("/")
        if name in _HF_MARKERS:
            where = f"{base}/{folder}" if folder else base
            raise BuildError(
                f"input.paths: {shown(where)} is a Hugging Face dataset folder; reading one from a URL is "
                "not supported: copy it to a local folder, or list its data files (*.parquet)"
            )
    return [f"{base}/{rel}" for rel in rels], base


def _info(fs: object, path: str) -> dict | None:
    try:
        return fs.info(path)  # type: ignore[attr-defined]
    except FileNotFoundError:
        return None


def record_name(path: str, relative_to: str | None = None) -> str:
    """How an input is recorded: a relative path as written (normalised, posix); an absolute one
    relative to ``relative_to`` (the current directory by default)."""
    if os.path.isabs(path):
        path = os.path.relpath(path, relative_to or os.getcwd())
    return Path(os.path.normpath(path)).as_posix()


def _glob(pattern: str) -> list[str]:
    """Matches of a glob, each real file once: ``**`` through a symlink loop yields the same file
    under ever longer names, and the shortest name is kept."""
    best: dict[str, str] = {}
    for p in _glob_candidates(pattern):
        if os.path.isdir(p) and not is_hf_dataset_dir(p):
            continue
        real = os.path.realpath(p)
        if real not in best or (p.count(os.sep), p) < (best[real].count(os.sep), best[real]):
            best[real] = p
    folders = [p + os.sep for p in best.values() if os.path.isdir(p)]
    kept = [p for p in best.values() if not any(p.startswith(d) for d in folders)]
    return sorted(Path(p).as_posix() for p in kept)


def expand_inputs(patterns: list[str], *, relative_to: str | None = None) -> list[InputFile]:
    """Files, directories (recursively) and glob patterns, in a stable sorted order, each once.

    A folder holding a Hugging Face dataset (see ``is_hf_dataset_dir``) is one input. Every
    input is checked readable here, before any reading (``check_readable``): a missing or
    unreadable input is a BuildError, never a quarantined or silently skipped file.
    """
    seen: set[str] = set()
    out: list[InputFile] = []
    for pattern in patterns:
        if is_url(pattern):
            urls, base = _expand_url(pattern)
            if not urls:
                raise ConfigError(f"input.paths: pattern {shown(pattern)!r} matches no files")
            for url in urls:
                if url in seen:
                    continue
                seen.add(url)
                rel = url[len(base) + 1 :] if url.startswith(base + "/") else url.rsplit("/", 1)[-1]
                out.append(InputFile(path=url, id_prefix=_strip_suffixes(rel), name=shown(url)))
            continue
        if os.path.isdir(pattern):
            matches = _walk(pattern)
            base = str(Path(pattern).parent) if matches == [Path(pattern).as_posix()] else pattern
        elif glob.has_magic(pattern):
            matches, base = _glob(pattern), glob_base(pattern)
        else:
            if not os.path.lexists(pattern):
                raise BuildError(f"input.paths: no such file or directory: {pattern}")
            matches, base = [pattern], str(Path(pattern).parent)
        if not matches:
            raise ConfigError(f"input.paths: pattern {pattern!r} matches no files")
        for m in matches:
            key = os.path.realpath(m)
            if key in seen:
                continue
            seen.add(key)
            check_readable(m)
            rel = os.path.relpath(m, base) if base else m
            name = record_name(m, relative_to)
            out.append(InputFile(path=Path(m).as_posix(), id_prefix=_strip_suffixes(rel), name=name))
    return out
