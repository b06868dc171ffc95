"""Batch forms give exactly what the per-document reference gives.

The per-document API (``Stage.apply``, ``CorpusStep.fingerprint``, ``phases.map_one``) is the
reference; the engine runs the batch forms (``apply_batch``, ``fingerprint_folded``,
``phases.map_batch``). Documents: the sample corpus (data/sample, real scraped article and
its copies) and, when ../shared is present, the first 400 documents of the bench corpus (real
web and documentation text), plus a few texts aimed at the folding (NFKC, case, whitespace).
"""

from __future__ import annotations

import io
import json
from itertools import islice

import numpy as np
import pytest

from corpus import stages
from corpus.dedup.base import fold
from corpus.document import Document
from corpus.engines import phases
from corpus.explaining import DEFAULT_STAGES
from corpus.pipeline import Pipeline
from corpus.stats import Stats
from tests.conftest import ROOT, SHARED

DEFAULT = [*DEFAULT_STAGES, {"exact_dedup": {}}, {"near_dedup": {"threshold": 0.8}}]
FOLDING = [
    "ＦＵＬＬＷＩＤＴＨ text and ﬁ ligatures",
    "fullwidth TEXT and fi ligatures",
    "Tabs\tand\u00a0no-break\u2003spaces\r\nand CRLF",
    "tabs and no-break spaces and crlf",
    "",
    "   \n\t ",
    "İstanbul ΣΊΣΥΦΟΣ straße",
]


def _bench_docs(n: int) -> list[Document]:
    path = SHARED / "bench" / "base_text.jsonl.zst"
    if not path.exists():
        return []
    import zstandard

    with open(path, "rb") as raw:
        lines = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(raw), encoding="utf-8")
        return [Document(r["id"], r["text"]) for r in map(json.loads, islice(lines, n))]


@pytest.fixture(scope="module")
def docs() -> list[Document]:
    sample = sorted((ROOT / "data" / "sample").glob("*.txt"))
    out = [Document(p.stem, p.read_text(encoding="utf-8")) for p in sample]
    out += [Document(f"fold-{i}", t) for i, t in enumerate(FOLDING)]
    out += _bench_docs(400)
    return out


def _same_keys(a: list, b: list) -> bool:
    return len(a) == len(b) and all(
        np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y for x, y in zip(a, b, strict=True)
    )


def test_pipeline_batch_equals_per_document(docs: list[Document]) -> None:
    pipe = Pipeline([stages.build(name, **opts) for entry in DEFAULT for name, opts in entry.items()])
    one_stats, batch_stats = Stats(), Stats()
    reference = [phases.map_one(pipe, d, one_stats) for d in docs]
    batched = []
    for lo in range(0, len(docs), 37):  # a batch size that cuts the corpus unevenly
        batched += phases.map_batch(pipe, docs[lo : lo + 37], batch_stats)
    assert len(batched) == len(reference)
    for (ref_doc, ref_keys, ref_why), (doc, keys, why) in zip(reference, batched, strict=True):
        assert doc == ref_doc and why == ref_why
        assert _same_keys(keys, ref_keys)
    assert batch_stats == one_stats
    changed = sum(one_stats[f"{s}.docs_changed"] for s in ("fix_encoding", "strip_boilerplate"))
    assert changed > 0  # the documents exercise the stages, so equality means something


@pytest.mark.parametrize(
    "name", ["fix_encoding", "strip_boilerplate", "normalize_handles", "detect_language"]
)
def test_stage_apply_batch_equals_apply(name: str, docs: list[Document]) -> None:
    stage = stages.build(name)
    stage.setup()
    assert stage.apply_batch(docs) == [stage.apply(d) for d in docs]


@pytest.mark.parametrize("name", ["exact_dedup", "near_dedup"])
def test_folded_fingerprints_equal_per_document(name: str, docs: list[Document]) -> None:
    step = stages.build(name)
    assert step.takes_folded
    folded = step.fingerprint_folded([fold(d.text) for d in docs])
    assert _same_keys(list(folded), [step.fingerprint(d) for d in docs])


def test_exact_keys_fold_width_case_and_whitespace() -> None:
    step = stages.build("exact_dedup")
    keys = step.fingerprint_folded([fold(t) for t in FOLDING])
    assert keys[0] == keys[1] and keys[2] == keys[3] and keys[4] == keys[5]
    assert len(set(keys)) == 4
    assert not stages.build("exact_dedup", lowercase=False).takes_folded
