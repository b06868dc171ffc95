"""A quick look at a corpus: ``input.sample`` (a seeded share of the records) for the map phase.

A record is kept when the blake2b hash of its id, keyed by ``input.sample_seed``, falls under
``input.sample`` (0 < F <= 1); the others become ``Skipped`` records with reason
``sampled_out``, so the build counts them and its accounting still closes (read = kept +
dropped + quarantined + skipped). The pick depends on the id and the seed only: the same on
either engine, for any worker count and block size. Quarantined and skipped records are not
sampled (they have no id to hash): they are counted as they are.

``input.limit`` (the first N records) is the shell's business (``corpus.engines.build``): the map
reads blocks in plan order until N records are read.

>>> from corpus.document import Document
>>> pick = sampler({"sample": 0.5, "sample_seed": 1})
>>> [type(pick(Document(f"d{i}", "x"))).__name__ for i in range(6)]
['Document', 'Document', 'Document', 'Skipped', 'Skipped', 'Document']
>>> sampler({}) is None and sampler({"sample": 1}) is None
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from corpus.document import Document
from corpus.io.read.base import Skipped

SAMPLED_OUT = "sampled_out"


def in_sample(doc_id: str, fraction: float, seed: int = 0) -> bool:
    """Whether the record ``doc_id`` is in the sample of ``fraction`` picked with ``seed``.

    >>> in_sample("a", 1.0), in_sample("a", 0.0)
    (True, False)
    """
    key = str(int(seed)).encode("ascii")
    digest = hashlib.blake2b(doc_id.encode("utf-8", "surrogatepass"), digest_size=8, key=key).digest()
    return int.from_bytes(digest, "big") < fraction * 2**64


def sampler(config: Mapping[str, Any]) -> Callable[[Any], Any] | None:
    """For the ``input`` section of a config: a function that gives each read item back, or a
    ``Skipped(sampled_out)`` for a document outside the sample; None when nothing is sampled."""
    fraction = config.get("sample")
    if fraction is None or fraction >= 1:
        return None
    seed = int(config.get("sample_seed") or 0)

    def pick(item: Any) -> Any:
        if not isinstance(item, Document) or in_sample(item.id, fraction, seed):
            return item
        return Skipped(item.source or "", None, SAMPLED_OUT)

    return pick
