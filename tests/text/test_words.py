"""Word splitting: Vocab's fast paths give what the full spaCy-English rules give, on real documents."""

from __future__ import annotations

import io
import json
import random
import time

from conftest import shared_path

from corpus.text.words import Vocab, split_chunk, words


def bench_sample(n: int, seed: int) -> list[dict]:
    """``n`` bench documents drawn with ``seed`` (the same ones on every run)."""
    import zstandard

    path = shared_path("bench", "base_text.jsonl.zst")
    with path.open("rb") as f:
        lines = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(f), encoding="utf-8").readlines()
    return [json.loads(line) for line in random.Random(seed).sample(lines, n)]


def test_fast_paths_agree_with_the_full_rules_on_bench_documents():
    t0 = time.perf_counter()
    docs = bench_sample(300, seed=20250107)
    chunks = {chunk for doc in docs for chunk in doc["text"].split()}
    assert len(chunks) > 10_000 and {d["source"] for d in docs} >= {"man", "htmldoc"}
    vocab = Vocab()
    wrong = [(c, vocab.split(c), split_chunk(c)) for c in chunks if vocab.split(c) != split_chunk(c)]
    assert wrong == [], wrong[:20]
    # and a document's words are its chunks' pieces, in order
    for doc in docs[:50]:
        expected = [t for chunk in doc["text"].split() for t in split_chunk(chunk)]
        assert words(doc["text"]).tokens() == expected, doc["id"]
    assert time.perf_counter() - t0 < 20
