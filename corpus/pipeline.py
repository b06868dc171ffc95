"""Pipeline: ordered per-document stages, then corpus-level steps (dedup).

Per-document stages run in the order given. Corpus-level steps (``exact_dedup``,
``near_dedup``) run after them on the cleaned text, so a copy that differs only
in page furniture is caught once the furniture is gone: streaming steps first,
in their order, then global steps (clustering, repeated lines), each of which
sees every survivor before it decides. The same object runs in plain Python
(``run``) and on an engine (``build``); a YAML file and Python code build the
same object.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from corpus.dedup.base import CorpusStep, GlobalStep, fold
from corpus.document import Document
from corpus.stages.base import Outcome, Stage
from corpus.stats import Stats

EMPTY = "empty"  # the drop reason of a document with no text left after cleaning (output.min_chars)


class Pipeline:
    """Stages in order; ``Pipeline([...])`` or ``Pipeline.from_yaml(path)``."""

    def __init__(self, stages: Sequence[Stage], *, config: dict[str, Any] | None = None) -> None:
        self.stages = list(stages)
        self.config = config or {"stages": [{s.name: s.get_config()} for s in self.stages]}
        output = self.config.get("output") or {}
        self.min_chars: int = output.get("min_chars", 1)
        self.min_words: int = output.get("min_words", 0)
        self.config_dir: str | None = None
        self._ready = False

    def too_short(self, text: str) -> bool:
        """Empty after cleaning: fewer than ``min_chars`` non-space characters or ``min_words`` words.

        >>> Pipeline([]).too_short(" \\n "), Pipeline([]).too_short("a")
        (True, False)
        """
        if self.min_chars == 1:
            if not text or text.isspace():
                return True
        elif self.min_chars > 1 and sum(map(len, text.split())) < self.min_chars:
            return True
        return self.min_words > 0 and len(text.split()) < self.min_words

    @property
    def doc_stages(self) -> list[Stage]:
        return [s for s in self.stages if not isinstance(s, CorpusStep)]

    @property
    def corpus_steps(self) -> list[CorpusStep]:
        """Streaming corpus steps first (in config order), then the global steps (in config order)."""
        return self.streaming_steps + self.global_steps

    @property
    def streaming_steps(self) -> list[CorpusStep]:
        return [s for s in self.stages if isinstance(s, CorpusStep) and not isinstance(s, GlobalStep)]

    @property
    def global_steps(self) -> list[GlobalStep]:
        return [s for s in self.stages if isinstance(s, GlobalStep)]

    @property
    def worker_steps(self) -> list[CorpusStep]:
        """Steps whose fingerprints workers compute: the streaming ones and the first global one.

        Later global steps see text the earlier ones may have changed, so their
        fingerprints are taken in their own collect pass.
        """
        return self.streaming_steps + self.global_steps[:1]

    @classmethod
    def from_config(cls, config: dict[str, Any], *, where: str = "config") -> Pipeline:
        from corpus.config import build_stages, validate

        config = validate(config, where=where)
        return cls(build_stages(config, where=where), config=config)

    @classmethod
    def from_yaml(cls, path: str | Path) -> Pipeline:
        from corpus.config import load_yaml

        pipeline = cls.from_config(load_yaml(path), where=str(path))
        pipeline.config_dir = str(Path(path).parent)  # absolute inputs are recorded relative to it
        return pipeline

    def setup(self) -> None:
        if not self._ready:
            for stage in self.stages:
                stage.setup()
            self._ready = True

    def trace(self, doc: Document) -> list[tuple[str, Document, Outcome]]:
        """Run the per-document stages on one document, keeping every step (for explain)."""
        self.setup()
        steps = []
        for stage in self.doc_stages:
            outcome = stage.apply(doc)
            steps.append((stage.name, doc, outcome))
            if outcome.doc is None:
                break
            doc = outcome.doc
        return steps

    def _clean(self, doc: Document, stats: Stats) -> tuple[Document | None, str]:
        for stage in self.doc_stages:
            outcome = stage.apply(doc)
            stats.record(stage.name, doc, outcome)
            if outcome.doc is None:
                return None, f"{stage.name}.{outcome.reason or 'unspecified'}"
            doc = outcome.doc
        if self.too_short(doc.text):
            return None, EMPTY
        return doc, ""

    def process(self, doc: Document, stats: Stats) -> tuple[Document | None, list[Any], str]:
        """Worker side: per-document stages, then the corpus steps' fingerprints.

        Returns (document or None, fingerprints, "stage.reason" when dropped else "").
        """
        self.setup()
        out, dropped = self._clean(doc, stats)
        if out is None:
            return None, [], dropped
        return out, [step.fingerprint(out) for step in self.worker_steps], ""

    def process_batch(
        self, docs: list[Document], stats: Stats
    ) -> list[tuple[Document | None, list[Any], str]]:
        """``process`` over a batch, with fingerprints computed batch-wise where a step offers it.

        Gives exactly what ``process`` gives document by document.
        """
        self.setup()
        # Stage by stage over the batch (each stage's apply_batch sees the survivors of the last).
        current: list[Document | None] = list(docs)
        why = [""] * len(docs)
        alive = list(range(len(docs)))
        for stage in self.doc_stages:
            if not alive:
                break
            outcomes = stage.apply_batch([current[i] for i in alive])
            still = []
            for i, outcome in zip(alive, outcomes, strict=True):
                stats.record(stage.name, current[i], outcome)
                if outcome.doc is None:
                    current[i] = None
                    why[i] = f"{stage.name}.{outcome.reason or 'unspecified'}"
                else:
                    current[i] = outcome.doc
                    still.append(i)
            alive = still
        for i in [i for i in alive if self.too_short(current[i].text)]:
            current[i], why[i] = None, EMPTY
        alive = [i for i in alive if current[i] is not None]
        survivors = [current[i] for i in alive]
        columns = []
        folded: list[str] | None = None
        for step in self.worker_steps:
            if not survivors:
                columns.append([])
            elif step.takes_folded:  # the text folded once for every step that starts from it
                if folded is None:
                    folded = [fold(d.text) for d in survivors]
                columns.append(list(step.fingerprint_folded(folded)))
            elif (batch := getattr(step, "fingerprint_batch", None)) is not None:
                columns.append(list(batch(survivors)))
            else:
                columns.append([step.fingerprint(d) for d in survivors])
        keys = dict(zip(alive, zip(*columns, strict=True) if columns else [()] * len(alive), strict=True))
        return [
            (current[i], list(keys[i]), "") if current[i] is not None else (None, [], why[i])
            for i in range(len(docs))
        ]

    def admit(self, doc: Document, keys: list[Any], stats: Stats) -> tuple[Outcome, str]:
        """Reduce side, in stable input order: streaming steps decide; the first global step collects.

        Returns the outcome and "step.reason" when a step dropped the document, else "".
        """
        outcome = Outcome(doc)
        for step, key in zip(self.worker_steps, keys, strict=True):
            if isinstance(step, GlobalStep):
                step.collect(key, doc)
                continue
            outcome = step.admit(key, doc)
            stats.record(step.name, doc, outcome)
            if outcome.doc is None:
                return outcome, f"{step.name}.{outcome.reason or 'unspecified'}"
            doc = outcome.doc
        return outcome, ""

    def global_pass(
        self, k: int, docs: Iterable[Document], stats: Stats
    ) -> Iterator[tuple[Document, Outcome, str]]:
        """Decide pass of global step ``k`` over the documents it collected, in order.

        Yields (input document, outcome, "step.reason" or ""). Survivors are
        collected by global step ``k + 1`` as they pass.
        """
        step = self.global_steps[k]
        following = self.global_steps[k + 1] if k + 1 < len(self.global_steps) else None
        step.prepare()
        for i, doc in enumerate(docs):
            outcome = step.decide(i, doc)
            stats.record(step.name, doc, outcome)
            if outcome.doc is None:
                yield doc, outcome, f"{step.name}.{outcome.reason or 'unspecified'}"
                continue
            if following is not None:
                following.collect(following.fingerprint(outcome.doc), outcome.doc)
            yield doc, outcome, ""

    def run(self, docs: Iterable[Document], stats: Stats | None = None) -> Iterator[Document]:
        """Run everything in this process, yielding the kept documents in input order.

        With global steps, survivors are held in memory until each has seen them all:
        fine for the small inputs this is for; the engine spools to disk instead.
        """
        stats = Stats() if stats is None else stats
        for step in self.corpus_steps:
            step.reset()
        survivors: list[Document] = []
        for doc in docs:
            out, keys, _ = self.process(doc, stats)
            if out is None:
                continue
            kept = self.admit(out, keys, stats)[0].doc
            if kept is None:
                continue
            if not self.global_steps:
                yield kept
            else:
                survivors.append(kept)
        for k in range(len(self.global_steps)):
            survivors = [o.doc for _, o, _ in self.global_pass(k, survivors, stats) if o.doc is not None]
        yield from survivors if self.global_steps else ()

    def build(self, **overrides: Any):  # -> corpus.engines.local.BuildResult
        """Build the dataset described by this pipeline's config with the local engine."""
        from corpus.engines import run_build

        return run_build(self, **overrides)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_ready": False}

    def __repr__(self) -> str:
        return f"Pipeline({self.stages!r})"
