"""Publishing a verified build: to the Hugging Face Hub, a plain directory, or an fsspec URL.

A build is published only if ``verify_build`` finds nothing wrong (which also refuses a
manifest path leading outside the build). Publishing replaces a previous build at the target:
the old manifest goes first, data shards next (a shard already there is skipped only if its
sha256 matches), then the old build's files the new manifest does not list are removed, and
the card and the manifest come last, so a reader never sees a manifest beside shards it does
not describe, and an interrupted publish resumes by re-running it. Only files a publish of
ours wrote are removed; a folder holding anything else is refused. The token comes from where
huggingface_hub looks (``HF_TOKEN``, ``hf auth login``); it, and any credential in a URL, is
never printed.

The build itself may be at a URL too (``corpus publish s3://bucket/build --to ...``, a build
whose output was a URL): it is verified and read through ``corpus.io.fs``, streamed to the
target, and a target that is or overlaps it is refused.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import posixpath
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpus.errors import BuildError
from corpus.io.fs import Location, is_url, open_input
from corpus.io.verify import unsafe_path
from corpus.io.write.hub_tags import license_note
from corpus.io.write.layout import SHARD_PATTERN

log = logging.getLogger(__name__)

MAX_FILES_PER_COMMIT = 50
MAX_BYTES_PER_COMMIT = 2 * 1024**3
SHARD_NAME = SHARD_PATTERN  # data/[{lang}/]{split}-NNNNN-of-NNNNN.{parquet,jsonl.zst,jsonl.gz,jsonl}
JOURNAL = ".corpus-publish.json"  # at an fs target while a publish runs: every path ours there
BUCKET_PROTOCOLS = {"s3", "s3a", "gs", "gcs", "abfs", "abfss", "az", "adl", "oss"}
_SECRET_KEY = re.compile(r"token|key|secret|pass|pwd|sig|credential|auth|session|sas", re.IGNORECASE)
RESUME = "re-run the same command to resume (files already there with the same sha256 are skipped)"


@dataclass(frozen=True)
class UploadItem:
    path_in_repo: str
    local: Path | str  # a local path, or the URL of the file when the build is at a URL
    bytes: int
    sha256: str


@dataclass
class HubCommit:
    """One Hub commit: files to upload and paths to delete, applied atomically."""

    adds: list[UploadItem]
    deletes: list[str] = field(default_factory=list)


def _split_secrets(url: str) -> tuple[str, list[str]]:
    """``url`` with userinfo and secret-looking query values replaced by ``***``, and the secrets."""
    parts, secrets = [], []
    for part in url.split("::"):  # fsspec chains: simplecache::s3://...
        m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*://)(.*)$", part, re.DOTALL)
        if not m:
            parts.append(part)
            continue
        scheme, rest = m.groups()
        head, sep, query = rest.partition("?")
        at = head.find("@")
        # user:password (a secret may hold "/"), or a bare token as user name; not hf://org/name@rev
        if at >= 0 and (":" in head[:at] or "/" not in head[:at]):
            secrets.append(head[:at])
            head = "***" + head[at:]
        pairs = []
        for pair in query.split("&") if sep else []:
            key, eq, value = pair.partition("=")
            if eq and value and _SECRET_KEY.search(key):
                secrets.append(value)
                value = "***"
            pairs.append(f"{key}{eq}{value}")
        parts.append(scheme + head + sep + "&".join(pairs))
    return "::".join(parts), secrets


def redact_url(url: str) -> str:
    """``url`` safe to print: userinfo and secret-looking query values hidden.

    >>> redact_url("s3://KEY:SE/CRET@bucket/x"), redact_url("https://h/p?token=abc&page=2")
    ('s3://***@bucket/x', 'https://h/p?token=***&page=2')
    >>> redact_url("hf://datasets/org/name@v1"), redact_url("/data/out")
    ('hf://datasets/org/name@v1', '/data/out')
    """
    return _split_secrets(url)[0]


def _network_errors() -> tuple[type[BaseException], ...]:
    """What a failing network or remote store raises (OSError covers HfHubHTTPError and s3fs)."""
    errors: list[type[BaseException]] = [OSError]
    for module, names in (
        ("httpx2", ("HTTPError",)),
        ("httpx", ("HTTPError",)),
        ("botocore.exceptions", ("BotoCoreError", "ClientError")),
    ):
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        errors += [getattr(mod, name) for name in names if hasattr(mod, name)]
    return tuple(errors)


@contextmanager
def _network(target: str) -> Iterator[None]:
    """Turn a network or storage failure into a BuildError that says how to resume."""
    shown, secrets = _split_secrets(target)
    try:
        yield
    except BuildError:
        raise
    except _network_errors() as exc:
        text = f"{type(exc).__name__}: {exc}"
        for secret in secrets:
            text = text.replace(secret, "***") if secret else text
        raise BuildError(f"publishing to {shown} failed: {text}. Nothing is lost: {RESUME}.") from exc


def plan_upload(build_dir: str | Path) -> tuple[list[UploadItem], dict[str, Any]]:
    """Files to publish (shards first, manifest last) and the manifest; refuses a build failing verify."""
    from corpus.io.verify import verify_build
    from corpus.io.write.shards import sha256_file

    if is_url(build_dir):
        return _plan_remote(str(build_dir))
    root = Path(build_dir)
    problems = verify_build(root)
    if problems:
        raise BuildError(f"{root}: refusing to publish, verify failed:\n  " + "\n  ".join(problems))
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    entries = _checked_entries(manifest, root)
    items = [UploadItem(e["path"], root / e["path"], e["bytes"], e["sha256"]) for e in entries]
    mpath = root / "manifest.json"
    items.append(UploadItem("manifest.json", mpath, mpath.stat().st_size, sha256_file(mpath)))
    return items, manifest


def _checked_entries(manifest: dict[str, Any], root: object) -> list[dict[str, Any]]:
    entries = manifest["shards"] + manifest["files"]
    for e in entries:  # verify checked them; this stays true whoever edits verify
        if unsafe_path(e["path"]) or e["path"] == "manifest.json":
            raise BuildError(f"{root}: refusing to publish: manifest path {e['path']!r} is not a build file")
    return entries


def _plan_remote(build_url: str) -> tuple[list[UploadItem], dict[str, Any]]:
    """``plan_upload`` for a build at a URL: the items name the files by their URL."""
    from corpus.io.verify import verify_build

    with _network(build_url):
        root = Location(build_url)
        problems = verify_build(build_url)
        if problems:
            raise BuildError(f"{root}: refusing to publish, verify failed:\n  " + "\n  ".join(problems))
        data = root.read_bytes("manifest.json")
    manifest = json.loads(data.decode("utf-8"))
    entries = _checked_entries(manifest, root)
    items = [UploadItem(e["path"], root.url_of(e["path"]), e["bytes"], e["sha256"]) for e in entries]
    digest = hashlib.sha256(data).hexdigest()
    items.append(UploadItem("manifest.json", root.url_of("manifest.json"), len(data), digest))
    return items, manifest


def commit_message(manifest: dict[str, Any]) -> str:
    counts = manifest["counts"]
    return (
        f"corpus {manifest['toolkit_version']}: {counts['kept']} documents in {len(manifest['shards'])} "
        f"shards (config {manifest['config_sha256'][:12]})"
    )


def chunk_commits(items: list[UploadItem]) -> list[list[UploadItem]]:
    """Data shards in chunks bounded by file count and bytes; card, side files and manifest last."""
    data = [i for i in items if i.path_in_repo.startswith("data/")]
    rest = [i for i in items if not i.path_in_repo.startswith("data/")]
    chunks: list[list[UploadItem]] = []
    current: list[UploadItem] = []
    size = 0
    for item in data:
        if current and (len(current) >= MAX_FILES_PER_COMMIT or size + item.bytes > MAX_BYTES_PER_COMMIT):
            chunks.append(current)
            current, size = [], 0
        current.append(item)
        size += item.bytes
    if current:
        chunks.append(current)
    return [*chunks, rest]


def describe_plan(items: list[UploadItem], manifest: dict[str, Any], target: str) -> str:
    """What a dry run prints: every file with its size and sha256, the commits and their message."""
    lines = [
        f"would publish {len(items)} files ({sum(i.bytes for i in items):,} bytes) to {redact_url(target)}"
    ]
    message = commit_message(manifest)
    chunks = chunk_commits(items)
    for n, chunk in enumerate(chunks, start=1):
        suffix = "" if len(chunks) == 1 else f" [{n}/{len(chunks)}]"
        lines.append(f"commit {n}: {message}{suffix}")
        lines += [f"  {i.path_in_repo}  {i.bytes:,} bytes  sha256 {i.sha256}" for i in chunk]
    lines.append("a previous build there is replaced: its files not listed above are removed, manifest last")
    note = license_note(manifest.get("config") or {})
    return "\n".join(lines + ([f"note: {note}"] if note else []))


def owned_paths(manifest: Any) -> set[str]:
    """The paths a manifest of ours lists (shards, side files and itself); unsafe ones are never ours."""
    if not isinstance(manifest, dict) or "toolkit_version" not in manifest:
        return set()
    entries = [*(manifest.get("shards") or []), *(manifest.get("files") or [])]
    paths = {e.get("path") for e in entries if isinstance(e, dict)}
    return {p for p in paths if isinstance(p, str) and not unsafe_path(p)} | {"manifest.json"}


def hub_commit_plan(
    items: list[UploadItem], remote: dict[str, str | None], old_manifest: Any = None
) -> list[HubCommit]:
    """The commits that replace what is in the repo (``remote``: path -> LFS sha256) by this build.

    Shards whose sha256 the repo already holds are skipped (a resumed upload). The first shard
    commit deletes the old manifest; the last one deletes the previous build's files the new
    manifest does not list and adds the card, side files and manifest, so the repo goes from
    the old build to the new one in that commit. Files that are not ours stay.
    """
    *data, rest = chunk_commits(items)
    commits = [HubCommit([i for i in chunk if remote.get(i.path_in_repo) != i.sha256]) for chunk in data]
    commits = [c for c in commits if c.adds]
    if commits and "manifest.json" in remote:
        commits[0].deletes.append("manifest.json")
    new = {i.path_in_repo for i in items}
    ours = owned_paths(old_manifest) | {p for p in remote if SHARD_NAME.match(p)}
    stale = sorted(p for p in remote if p in ours and p not in new)
    commits.append(HubCommit(rest, stale))
    return commits


def hub_operations(commit: HubCommit) -> list[Any]:
    """The huggingface_hub operations of one commit: deletes, then uploads."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    ops: list[Any] = [CommitOperationDelete(path_in_repo=p) for p in commit.deletes]
    return ops + [
        CommitOperationAdd(
            path_in_repo=i.path_in_repo,
            path_or_fileobj=open_input(i.local) if is_url(i.local) else str(i.local),  # seekable
        )
        for i in commit.adds
    ]


def _remote_files(api: Any, repo_id: str, revision: str | None) -> dict[str, str | None]:
    """Every file in the repo: its LFS sha256, or None for a small (non-LFS) file."""
    remote: dict[str, str | None] = {}
    for entry in api.list_repo_tree(repo_id, repo_type="dataset", revision=revision, recursive=True):
        if hasattr(entry, "lfs") or hasattr(entry, "blob_id"):  # a file, not a folder
            lfs = getattr(entry, "lfs", None)
            remote[entry.path] = lfs.sha256 if lfs is not None else None
    return remote


def _remote_manifest(api: Any, repo_id: str, revision: str | None) -> Any:
    """The manifest of the build in the repo, or None if it cannot be read as JSON."""
    path = api.hf_hub_download(repo_id, "manifest.json", repo_type="dataset", revision=revision)
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def publish_hub(
    build_dir: str | Path,
    repo_id: str,
    *,
    private: bool = False,
    revision: str | None = None,
    api: Any = None,
) -> list[str]:
    """Upload a verified build to a dataset repo, replacing the previous one; returns the commit URLs."""
    items, manifest = plan_upload(build_dir)
    note = license_note(manifest.get("config") or {})
    if note:
        log.warning(note)
    target = f"hf://datasets/{repo_id}" + (f"@{revision}" if revision else "")
    with _network(target):
        if api is None:
            from huggingface_hub import HfApi

            api = HfApi()
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        if revision:
            api.create_branch(repo_id, repo_type="dataset", branch=revision, exist_ok=True)
        remote = _remote_files(api, repo_id, revision)
        old = _remote_manifest(api, repo_id, revision) if "manifest.json" in remote else None
        message = commit_message(manifest)
        plan = hub_commit_plan(items, remote, old)
        commits = []
        for n, commit in enumerate(plan, start=1):
            info = api.create_commit(
                repo_id,
                hub_operations(commit),
                commit_message=message if len(plan) == 1 else f"{message} [{n}/{len(plan)}]",
                repo_type="dataset",
                revision=revision,
            )
            commits.append(str(getattr(info, "commit_url", info)))
    return commits


def _fs_sha256(fs: Any, path: str) -> str:
    digest = hashlib.sha256()
    with fs.open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _read_json(fs: Any, path: str) -> Any:
    try:
        return json.loads(fs.cat_file(path))
    except (ValueError, UnicodeDecodeError):
        return None


def target_state(fs: Any, root: str, shown: str) -> tuple[set[str], set[str]]:
    """(files at the target, those a publish of ours wrote); refuses a target holding anything else."""
    if not fs.exists(root):
        return set(), set()
    if not fs.isdir(root):
        raise BuildError(f"{shown}: is a file, not a folder; publish to a folder (new or a previous publish)")
    present = {posixpath.relpath(p, root) for p in fs.find(root)}
    owned = {p for p in present if SHARD_NAME.match(p)}
    if "manifest.json" in present:
        owned |= owned_paths(_read_json(fs, f"{root}/manifest.json"))
    if JOURNAL in present:  # an interrupted publish: it recorded everything ours before deleting
        journal = _read_json(fs, f"{root}/{JOURNAL}")
        listed = journal.get("owned", []) if isinstance(journal, dict) else []
        owned |= {p for p in listed if isinstance(p, str) and not unsafe_path(p)} | {JOURNAL}
    foreign = sorted(present - owned)
    if foreign:
        more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        raise BuildError(
            f"{shown}: holds files this toolkit did not publish ({', '.join(foreign[:5])}{more}); "
            "refusing to replace them. Publish to a new folder, or to one holding a previous publish."
        )
    return present, owned


def _overlaps(a: str, b: str) -> bool:
    a, b = a.rstrip("/"), b.rstrip("/")
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def _check_target(fs: Any, root: str, build_dir: Path | str, shown: str) -> None:
    """A bucket must exist (never created for the user); a local target must not be the build itself."""
    protocols = fs.protocol if isinstance(fs.protocol, (tuple, list)) else (fs.protocol,)
    if BUCKET_PROTOCOLS & set(protocols):
        bucket = root.split("/", 1)[0]
        if not bucket or not fs.exists(bucket):
            raise BuildError(
                f"{shown}: bucket {bucket!r} does not exist or is not visible with these credentials; "
                "create it first (publish never creates buckets)"
            )
    if is_url(build_dir):  # a build at a URL: the target must not be, or hold, or be inside it
        build = Location(build_dir)
        if build.fs.protocol == fs.protocol and _overlaps(root, build.root):
            raise BuildError(f"{shown}: is, or overlaps, the build folder {build}; publish elsewhere")
    elif "file" in protocols or "local" in protocols:
        target, build = os.path.realpath(root), os.path.realpath(build_dir)
        if target == build or target.startswith(build + os.sep) or build.startswith(target + os.sep):
            raise BuildError(f"{shown}: is, or overlaps, the build folder {build_dir}; publish elsewhere")


def publish_fs(build_dir: str | Path, url: str) -> list[str]:
    """Copy a verified build to a directory or fsspec URL (file://, s3://, ...), replacing a previous one.

    Returns the paths written; shards already there with the same sha256 are not copied again.
    """
    items, manifest = plan_upload(build_dir)
    shown = redact_url(url)
    try:
        import fsspec

        fs, root = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise BuildError(f"{shown}: cannot open this target ({exc}); give a folder or an fsspec URL") from exc
    root = root.rstrip("/") or "/"
    with _network(url):
        _check_target(fs, root, build_dir if is_url(build_dir) else Path(build_dir), shown)
        present, owned = target_state(fs, root, shown)
        new = [i.path_in_repo for i in items]
        fs.makedirs(root, exist_ok=True)
        fs.pipe_file(f"{root}/{JOURNAL}", json.dumps({"owned": sorted(owned | set(new))}).encode())
        if "manifest.json" in present:
            fs.rm_file(f"{root}/manifest.json")  # first: no manifest beside shards it does not describe
        count = len(manifest["shards"])
        written = []
        for item in items[:count]:  # shards: re-checked by sha256, copied unless identical
            dest = f"{root}/{item.path_in_repo}"
            if item.path_in_repo in present and _fs_sha256(fs, dest) == item.sha256:
                continue
            _put(fs, item, dest)
            written.append(item.path_in_repo)
        _remove_stale(fs, root, (owned & present) - set(new) - {JOURNAL, "manifest.json"})
        for item in items[count:]:  # card and side files, manifest last
            _put(fs, item, f"{root}/{item.path_in_repo}")
            written.append(item.path_in_repo)
        fs.rm_file(f"{root}/{JOURNAL}")
    return written


def _put(fs: Any, item: UploadItem, dest: str) -> None:
    fs.makedirs(posixpath.dirname(dest), exist_ok=True)
    if not is_url(item.local):
        fs.put_file(str(item.local), dest)
        return
    import shutil

    with open_input(item.local) as src, fs.open(dest, "wb") as out:  # streamed, never whole in memory
        shutil.copyfileobj(src, out, 1 << 20)


def _remove_stale(fs: Any, root: str, stale: set[str]) -> None:
    """Delete the previous build's files the new one does not list, then their emptied folders."""
    for path in sorted(stale):
        fs.rm_file(f"{root}/{path}")
    folders = {"/".join(p.split("/")[:n]) for p in stale for n in range(1, p.count("/") + 1)}
    for folder in sorted(folders, key=len, reverse=True):
        try:
            if not fs.ls(f"{root}/{folder}"):
                fs.rmdir(f"{root}/{folder}")
        except OSError:
            pass  # not empty, or a store without folders
