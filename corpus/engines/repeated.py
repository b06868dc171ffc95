"""repeated_lines with distributed dedup decisions: learn once, apply in every write task.

When exact and near dedup decide on the cluster (``corpus.dedup.distributed``), repeated_lines
(the last global step) still needs every kept document's lines counted before it removes one.
``learn_repeated`` counts them (group and 8-byte line hashes: from the map parts' fingerprint
column when it is the first global step, else from the text) for the documents the dedup
decisions keep, in input order, as ``phases.global_pass`` would; it saves only the repeated
lines found (``RepeatedLines.learned``) to ``decide/repeated.json``. Each write task loads them
(``load_learned``) and removes those lines as it writes (``corpus.engines.writing``).
"""

from __future__ import annotations

import base64
from typing import Any

from corpus.dedup.exact import ExactDedup
from corpus.dedup.lines import RepeatedLines
from corpus.dedup.near import NearDedup
from corpus.engines.deciding import exact_outcome, near_outcome, read_fates
from corpus.engines.keys import KeyCodec
from corpus.engines.mapping import DOC_COLUMNS, QUALITY_COLUMNS, documents, read_part
from corpus.engines.work import WorkFolder
from corpus.errors import BuildError

LEARNED = "decide/repeated.json"


def learn_repeated(pipeline: Any, work: WorkFolder, blocks: int) -> int:
    """Count the kept documents' lines, save the repeated ones; returns how many were found."""
    steps = pipeline.streaming_steps + pipeline.global_steps
    repeated: RepeatedLines = next(s for s in steps if isinstance(s, RepeatedLines))
    exact = next((s for s in steps if isinstance(s, ExactDedup)), None)
    near = next((s for s in steps if isinstance(s, NearDedup)), None)
    # The map workers took its line hashes when it is the first global step; after near dedup
    # (which changes no text) they are taken here.
    k = next((i for i, s in enumerate(pipeline.worker_steps) if s is repeated), None)
    codec = KeyCodec.of(repeated)
    repeated.reset()
    for b in range(blocks):
        fates = read_fates(work, b)
        t = read_part(
            work, b, ["idx", "kind", *DOC_COLUMNS, *QUALITY_COLUMNS, *([f"key{k}"] if k is not None else [])]
        )
        idxs = t["idx"].to_pylist()
        keys = t[f"key{k}"].to_pylist() if k is not None else None
        for i, doc in enumerate(documents(t)):
            if doc is None:
                continue
            fate = fates.get(idxs[i])
            if exact is not None and exact_outcome(doc, fate).doc is None:
                continue
            if near is not None:
                out = near_outcome(doc, fate, near.annotate)
                if out.doc is None:
                    continue
                doc = out.doc
            key = codec.decode(keys[i]) if keys is not None else repeated.fingerprint(doc)
            repeated.collect(key, doc)
    learned = repeated.learned()
    encoded = {
        group: [base64.b64encode(h).decode("ascii") for h in hashes] for group, hashes in learned.items()
    }
    work.write_json(LEARNED, encoded)
    return sum(len(h) for h in learned.values())


def load_learned(step: RepeatedLines, work: WorkFolder) -> None:
    """Give ``step`` the repeated lines ``learn_repeated`` saved."""
    data = work.read_json(LEARNED)
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        raise BuildError(
            f"{work.loc.url_of(LEARNED)}: missing or not ours; remove the work folder, run again"
        )
    step.use_learned({group: [base64.b64decode(h) for h in hashes] for group, hashes in data.items()})
