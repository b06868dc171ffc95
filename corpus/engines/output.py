"""The output folder of a build: what a build may replace, the lock it holds, and the atomic swap.

A build writes into ``output/`` of its work folder (``.{name}.work`` beside the output,
``corpus.engines.work``) and swaps it into place when complete (``swap_into``). Before
it reads a byte it checks that replacing the output cannot destroy anything the user owns: the
output must be absent, an empty folder, or a previous build of this toolkit (recognised by its
manifest, holding nothing the manifest does not list), and it must not be, contain or lie inside
an input, nor be or contain the working directory, a repository root, the home directory or a
filesystem root. Anything else stops the build with the path and the reason.

A build holds an exclusive lock on ``.{name}.lock`` beside a local output for its whole run, so
two builds to one output never mix: the second stops at once, naming the first one's process.
An object-store output has no lock (object stores offer none): it is checked
(``check_remote_output``) and copied into place, the manifest last.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from corpus.errors import BuildError
from corpus.io.fs import shown

MANIFEST = "manifest.json"
_BUILD_KEYS = ("toolkit_version", "config_sha256", "shards", "files", "counts")


def _real(path: str | Path) -> Path:
    return Path(os.path.realpath(path))


def _inside(path: Path, folder: Path) -> bool:
    """``path`` is ``folder`` or lies under it (both real paths)."""
    return path == folder or folder in path.parents


def _repository_root(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def previous_build_files(folder: Path) -> set[str] | None:
    """The relative paths a previous build of ours in ``folder`` consists of, or None if it is not one."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return _listed(manifest)


def _foreign_entries(folder: Path, listed: set[str]) -> list[str]:
    """Entries of ``folder`` that are neither a listed file nor a folder leading to one."""
    parents = {p.as_posix() for name in listed for p in Path(name).parents if p.as_posix() != "."}
    foreign = []
    for dirpath, dirnames, filenames in os.walk(folder):
        rel = Path(dirpath).relative_to(folder)
        for name in sorted(dirnames):
            sub = (rel / name).as_posix()
            if sub not in parents or (Path(dirpath) / name).is_symlink():
                foreign.append(sub + "/")
        dirnames[:] = [d for d in dirnames if (rel / d).as_posix() in parents]
        foreign += [(rel / name).as_posix() for name in filenames if (rel / name).as_posix() not in listed]
    return sorted(foreign)


def check_output(out_dir: Path, inputs: Iterable[str | Path], *, overwrite: bool = True) -> None:
    """Stop (BuildError, naming the path and why) unless replacing ``out_dir`` loses nothing of the user's."""
    shown = str(out_dir)
    real = _real(out_dir)
    if real.parent == real:
        raise BuildError(f"output {shown}: is a filesystem root; give a folder of its own for the build")
    protected = [(_real(Path.cwd()), "the working directory"), (_real(Path.home()), "the home directory")]
    repo = _repository_root(_real(Path.cwd()))
    if repo is not None:
        protected.append((repo, "the repository root"))
    for folder, what in protected:
        if _inside(folder, real):
            relation = "is" if folder == real else "contains"
            raise BuildError(f"output {shown}: {relation} {what}; a build replaces its output folder whole")
    if (real / ".git").exists():
        raise BuildError(f"output {shown}: is a repository root; a build replaces its output folder whole")
    for item in inputs:
        path = _real(item)
        if _inside(path, real):
            raise BuildError(f"output {shown}: holds the input {item}; choose an output outside the inputs")
        if _inside(real, path):
            raise BuildError(f"output {shown}: lies inside the input {item}; choose one outside the inputs")
    if os.path.islink(out_dir):
        raise BuildError(f"output {shown}: is a symbolic link; give the folder it points to, or another")
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise BuildError(f"output {shown}: exists and is not a folder; move it or choose another output")
    entries = sorted(os.listdir(out_dir))
    if not entries:
        return
    if not overwrite:
        raise BuildError(f"output {shown}: exists and output.overwrite is false")
    listed = previous_build_files(out_dir)
    if listed is None:
        some = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
        raise BuildError(
            f"output {shown}: not empty and not a previous build (no manifest.json of ours; holds {some}); "
            "a build replaces its output folder whole: choose an empty or new folder"
        )
    foreign = _foreign_entries(out_dir, listed)
    if foreign:
        some = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise BuildError(
            f"output {shown}: holds files that are not part of the previous build ({some}); "
            "move them out or choose another output"
        )


class OutputLock:
    """An exclusive ``flock`` on ``.{name}.lock`` beside the output, held for the whole build."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir.parent / f".{out_dir.name}.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 64).decode("ascii", "replace").strip() or "another process"
                os.close(fd)
                raise BuildError(
                    f"output {self.path.parent / self.path.name[1:-5]}: another build is writing it "
                    f"(process {holder}); wait for it to finish or choose another output"
                ) from None
            # The holder before us may have removed the file after we opened it: lock the live one.
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            os.close(self._fd)
            self._fd = None


def input_folders(config: dict[str, Any]) -> list[str]:
    """Folders an output inside of would be read by the next build: folder inputs and ``**`` bases."""
    from corpus.io.read.listing import glob_base

    return [
        pattern if os.path.isdir(pattern) else glob_base(pattern)
        for pattern in config["input"]["paths"]
        if os.path.isdir(pattern) or "**" in pattern
    ]


@contextlib.contextmanager
def locked_output(out_dir: Path, files: Iterable[Any], config: dict[str, Any]) -> Iterator[Path]:
    """Lock ``out_dir``, check it may be replaced (see ``check_output``), yield it; unlock at the end.

    ``files`` are the build's inputs (``InputFile``); with the config's folder and ``**`` patterns
    they are what the output may not hold or lie in.
    """
    lock = OutputLock(out_dir)
    lock.acquire()
    try:
        inputs = [f.path for f in files] + input_folders(config)
        check_output(out_dir, inputs, overwrite=config["output"].get("overwrite", True))
        yield out_dir
    finally:
        lock.release()


def swap(tmp: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` (absent, empty or a previous build: see ``check_output``) with ``tmp``.

    The old build stays whole until the new one is in place.
    """
    old = out_dir.parent / f".{out_dir.name}.old"
    shutil.rmtree(old, ignore_errors=True)
    if out_dir.exists():
        os.replace(out_dir, old)
    os.replace(tmp, out_dir)
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def claimed_output(out: Any, files: Iterable[Any], config: dict[str, Any]) -> Iterator[Any]:
    """``locked_output`` for a local folder; for a remote one (a ``Location`` URL) the same checks
    on what it holds (``check_remote_output``). Object stores have no lock: two builds to one
    remote output are the user's to avoid."""
    if out.is_local:
        with locked_output(Path(out.url), files, config):
            yield out
        return
    check_remote_inputs(out, [f.path for f in files], config["input"]["paths"])
    check_remote_output(out, overwrite=config["output"].get("overwrite", True))
    yield out


def check_remote_inputs(out: Any, files: Iterable[str], patterns: Iterable[str]) -> None:
    """A remote output may not hold an input, nor be or lie inside a folder the inputs are listed
    from (a folder, or the part of a glob before its first wildcard): the next build would read it."""
    import glob

    from corpus.io.fs import filesystem, is_url

    def where(url: str) -> tuple[str, str]:
        fs, path = filesystem(url)
        protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
        return protocol, path.rstrip("/")

    def under(a: tuple[str, str], b: tuple[str, str]) -> bool:
        return a[0] == b[0] and (a[1] == b[1] or a[1].startswith(b[1] + "/"))

    root = where(out.url)
    for item in (f for f in files if is_url(f)):
        if under(where(item), root):
            raise BuildError(
                f"output {out}: holds the input {shown(item)}; choose an output outside the inputs"
            )
    for pattern in (p for p in patterns if is_url(p)):
        parts = pattern.rstrip("/").split("/")
        cut = next((i for i, p in enumerate(parts) if glob.has_magic(p)), len(parts))
        base = where("/".join(parts[:cut]))
        if under(root, base) and ("**" in pattern or cut == len(parts)):
            raise BuildError(
                f"output {out}: lies inside the input {shown(pattern)}; choose one outside the inputs"
            )
        if under(base, root):
            raise BuildError(f"output {out}: holds the input {shown(pattern)}; choose one outside the inputs")


def check_remote_output(out: Any, *, overwrite: bool = True) -> None:
    """A remote output must be absent, empty, or a previous build of ours holding nothing else,
    and a folder of its own: not a bucket's root, which a build would replace whole."""
    from corpus.io.fs import bucket_of, check_bucket

    check_bucket(out.url, "output")
    if bucket_of(out.url) is not None and "/" not in out.path().strip("/"):
        raise BuildError(
            f"output {out}: is a bucket's root; a build replaces its output whole: give a folder "
            "inside the bucket (s3://bucket/name)"
        )
    names = _remote_files(out)
    if not names:
        return
    if not overwrite:
        raise BuildError(f"output {out}: exists and output.overwrite is false")
    try:
        manifest = json.loads(out.read_bytes(MANIFEST)) if MANIFEST in names else None
    except (OSError, ValueError):
        manifest = None
    listed = _listed(manifest)
    if listed is None:
        some = ", ".join(sorted(names)[:3]) + (", ..." if len(names) > 3 else "")
        raise BuildError(
            f"output {out}: not empty and not a previous build (no manifest.json of ours; holds {some}); "
            "a build replaces its output whole: choose an empty or new location"
        )
    foreign = sorted(set(names) - listed)
    if foreign:
        some = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise BuildError(f"output {out}: holds files that are not part of the previous build ({some})")


def _listed(manifest: Any) -> set[str] | None:
    if not isinstance(manifest, dict) or any(key not in manifest for key in _BUILD_KEYS):
        return None
    listed = {MANIFEST}
    for entry in [*(manifest.get("shards") or []), *(manifest.get("files") or [])]:
        path = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(path, str) or path.startswith("/") or ".." in Path(path).parts:
            return None
        listed.add(Path(path).as_posix())
    return listed


def _remote_files(out: Any) -> list[str]:
    """Every file under a remote folder, as names relative to it."""
    root = out.path().rstrip("/")
    try:
        found = out.fs.find(root)
    except FileNotFoundError:
        return []
    return sorted(p[len(root) + 1 :] for p in found if p.startswith(root + "/"))


def swap_into(staging: Any, out: Any) -> None:
    """Put the build written in ``staging`` in place of ``out`` (both ``Location``s).

    Local: ``swap`` (renames; the old build stays whole until the new one is in place). Remote:
    the old build's manifest goes first (so a half-replaced build is never taken for whole), then
    its other files, then each new file is copied in place (server side), the manifest last.
    """
    if out.is_local:
        swap(Path(staging.url), Path(out.url))
        return
    old = _remote_files(out)
    if MANIFEST in old:
        out.remove(MANIFEST)
    for name in old:
        if name != MANIFEST:
            out.remove(name)
    new = _remote_files(staging)
    for name in [n for n in new if n != MANIFEST] + [MANIFEST]:
        out.fs.copy(staging.path(name), out.path(name))
    staging.remove(recursive=True)
