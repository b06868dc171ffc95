"""The pipeline bench's input and configs: the shared bench documents as JSONL folders of N documents.

Input: ../shared/bench/base_text.jsonl.zst (27,145 real documents, 160 MB) decompressed once
into build/bench/base.jsonl (``id``, ``text``, ``source``; already in shuffled order, so its
first N documents are a fair sample). A run over N documents reads build/bench/pipeline/input-N/,
the first N documents as two JSONL files (datatrove gives one task per file); sizes above
27,145 add copies of the bench documents with a distinct first line (near duplicates: exact
dedup keeps them, near dedup removes them).
"""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

from corpus.explaining import DEFAULT_STAGES
from scripts.bench.common import OUT, SHARED_BENCH, rel

WORK = OUT / "pipeline"
BASE = OUT / "base.jsonl"
SHARED_BASE = SHARED_BENCH / "base_text.jsonl.zst"
BASE_DOCS = 27_145
MB = 1e6

# Our default pipeline: every stage at its defaults, handles masked as `corpus clean` does.
STAGES: list[dict[str, Any]] = [*DEFAULT_STAGES, {"exact_dedup": {}}, {"near_dedup": {"threshold": 0.8}}]


def ensure_base() -> None:
    """Decompress the shared bench corpus into build/bench/base.jsonl (id, text, source)."""
    if BASE.exists() and BASE.stat().st_mtime >= SHARED_BASE.stat().st_mtime:
        return
    import zstandard

    OUT.mkdir(parents=True, exist_ok=True)
    tmp = BASE.with_suffix(".tmp")
    with open(SHARED_BASE, "rb") as raw, open(tmp, "w", encoding="utf-8") as out:
        for line in io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(raw), encoding="utf-8"):
            r = json.loads(line)
            out.write(
                json.dumps({"id": r["id"], "text": r["text"], "source": r["source"]}, ensure_ascii=False)
            )
            out.write("\n")
    os.replace(tmp, BASE)


def make_input(n: int) -> Path:
    """build/bench/pipeline/input-N: the first N bench documents as two JSONL files."""
    folder = WORK / f"input-{n}"
    done = WORK / f"input-{n}.done"  # beside, not inside: both tools read every file in the folder
    if done.exists() and done.stat().st_mtime >= BASE.stat().st_mtime:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    done.unlink(missing_ok=True)
    folder.mkdir(parents=True)
    with open(BASE, encoding="utf-8") as f:
        base = f.readlines()

    def lines():
        for i in range(n):
            line = base[i % len(base)]
            k = i // len(base)
            if k == 0:
                yield line
                continue
            r = json.loads(line)  # a copy: distinct id and first line, a near duplicate of the original
            r["id"] = f"{r['id']}#copy{k}"
            r["text"] = f"Copy {k}.\n{r['text']}"
            yield json.dumps(r, ensure_ascii=False) + "\n"

    half = (n + 1) // 2
    with (
        open(folder / "part-00000.jsonl", "w", encoding="utf-8") as a,
        open(folder / "part-00001.jsonl", "w", encoding="utf-8") as b,
    ):
        for i, line in enumerate(lines()):
            (a if i < half else b).write(line)
    done.touch()
    return folder


def input_bytes(folder: Path) -> int:
    """Bytes of the input JSONL: the MB of MB/s."""
    return sum(p.stat().st_size for p in folder.glob("*.jsonl"))


def write_config(name: str, folder: Path, stages: list[dict[str, Any]]) -> Path:
    """A build config under build/bench/pipeline/configs, paths relative to the repo root."""
    import yaml

    config = {
        "name": f"bench {name}",
        "input": {"paths": [rel(folder)], "format": "jsonl"},
        "stages": stages,
        "output": {"path": rel(WORK / "out" / name)},
    }
    path = WORK / "configs" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path
