"""Publishing a verified build: to the Hugging Face Hub, a plain directory, or an fsspec URL.

A build is published only if ``verify_build`` finds nothing wrong. Uploads go
data shards first, in chunked commits, and the dataset card and manifest last,
so a reader never sees a card that points at missing shards. Re-running an
interrupted upload skips every shard the remote already holds with the same
sha256 (resumable). The token comes from where huggingface_hub looks
(``HF_TOKEN``, the user's ``hf auth login``); it is never printed or logged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.errors import BuildError

MAX_FILES_PER_COMMIT = 50
MAX_BYTES_PER_COMMIT = 2 * 1024**3


@dataclass(frozen=True)
class UploadItem:
    path_in_repo: str
    local: Path
    bytes: int
    sha256: str


def plan_upload(build_dir: str | Path) -> tuple[list[UploadItem], dict[str, Any]]:
    """Files to publish (shards first, manifest last) and the manifest; refuses a build failing verify."""
    from corpus.io.verify import verify_build

    root = Path(build_dir)
    problems = verify_build(root)
    if problems:
        raise BuildError(f"{root}: refusing to publish, verify failed:\n  " + "\n  ".join(problems))
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    items = [UploadItem(e["path"], root / e["path"], e["bytes"], e["sha256"]) for e in manifest["shards"]]
    items += [UploadItem(e["path"], root / e["path"], e["bytes"], e["sha256"]) for e in manifest["files"]]
    mpath = root / "manifest.json"
    from corpus.io.shards import sha256_file

    items.append(UploadItem("manifest.json", mpath, mpath.stat().st_size, sha256_file(mpath)))
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
    lines = [f"would publish {len(items)} files ({sum(i.bytes for i in items):,} bytes) to {target}"]
    message = commit_message(manifest)
    chunks = chunk_commits(items)
    for n, chunk in enumerate(chunks, start=1):
        suffix = "" if len(chunks) == 1 else f" [{n}/{len(chunks)}]"
        lines.append(f"commit {n}: {message}{suffix}")
        lines += [f"  {i.path_in_repo}  {i.bytes:,} bytes  sha256 {i.sha256}" for i in chunk]
    return "\n".join(lines)


def hub_operations(chunk: list[UploadItem]) -> list[Any]:
    """The huggingface_hub commit operations that upload one chunk."""
    from huggingface_hub import CommitOperationAdd

    return [CommitOperationAdd(path_in_repo=i.path_in_repo, path_or_fileobj=str(i.local)) for i in chunk]


def _remote_sha256(api: Any, repo_id: str, revision: str | None) -> dict[str, str]:
    """sha256 of the LFS files already in the repo (empty for a new repo)."""
    remote = {}
    for entry in api.list_repo_tree(repo_id, repo_type="dataset", revision=revision, recursive=True):
        lfs = getattr(entry, "lfs", None)
        if lfs is not None:
            remote[entry.path] = lfs.sha256
    return remote


def publish_hub(
    build_dir: str | Path,
    repo_id: str,
    *,
    private: bool = False,
    revision: str | None = None,
    api: Any = None,
) -> list[str]:
    """Upload a verified build to a dataset repo; returns the commit URLs (or ids)."""
    items, manifest = plan_upload(build_dir)
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi()
    api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    if revision:
        api.create_branch(repo_id, repo_type="dataset", branch=revision, exist_ok=True)
    remote = _remote_sha256(api, repo_id, revision)
    message = commit_message(manifest)
    commits = []
    chunks = chunk_commits(items)
    for n, chunk in enumerate(chunks, start=1):
        todo = [
            i
            for i in chunk
            if remote.get(i.path_in_repo) != i.sha256 or not i.path_in_repo.startswith("data/")
        ]
        if not todo:
            continue
        info = api.create_commit(
            repo_id,
            hub_operations(todo),
            commit_message=message if len(chunks) == 1 else f"{message} [{n}/{len(chunks)}]",
            repo_type="dataset",
            revision=revision,
        )
        commits.append(str(getattr(info, "commit_url", info)))
    return commits


def publish_fs(build_dir: str | Path, url: str) -> list[str]:
    """Copy a verified build to a directory or fsspec URL (file://, s3://, ...); skips identical files."""
    import fsspec

    items, _ = plan_upload(build_dir)
    fs, root = fsspec.core.url_to_fs(url)
    root = root.rstrip("/")
    written = []
    for item in items:  # shards first, manifest last: a reader that sees the manifest sees the shards
        dest = f"{root}/{item.path_in_repo}"
        if fs.exists(dest) and fs.size(dest) == item.bytes and item.path_in_repo.startswith("data/"):
            continue
        fs.makedirs(dest.rsplit("/", 1)[0], exist_ok=True)
        fs.put_file(str(item.local), dest)
        written.append(item.path_in_repo)
    return written
