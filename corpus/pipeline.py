"""Pipeline: ordered per-document stages, then corpus-level steps (dedup).

Per-document stages run in the order given. Corpus-level steps (``exact_dedup``,
``near_dedup``) run after them on the cleaned text, so a copy that differs only
in page furniture is caught once the furniture is gone: streaming steps first,
in their order, then at most one global step (clustering), which sees every
survivor before it decides. The same object runs in plain Python (``run``) and on an engine
(``build``); a YAML file and Python code build the same object.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from corpus.dedup.base import CorpusStep, GlobalStep, Verdict, apply_verdict
from corpus.document import Document
from corpus.errors import ConfigError
from corpus.stages.base import Outcome, Stage
from corpus.stats import Stats


class Pipeline:
    """Stages in order; ``Pipeline([...])`` or ``Pipeline.from_yaml(path)``."""

    def __init__(self, stages: Sequence[Stage], *, config: dict[str, Any] | None = None) -> None:
        self.stages = list(stages)
        found = [s.name for s in self.stages if isinstance(s, GlobalStep)]
        if len(found) > 1:
            raise ConfigError(f"stages: at most one global corpus step is supported; got {', '.join(found)}")
        self.config = config or {"stages": [{s.name: s.get_config()} for s in self.stages]}
        self._ready = False

    @property
    def doc_stages(self) -> list[Stage]:
        return [s for s in self.stages if not isinstance(s, CorpusStep)]

    @property
    def corpus_steps(self) -> list[CorpusStep]:
        """Streaming corpus steps first (in config order), then the global step if any."""
        steps = [s for s in self.stages if isinstance(s, CorpusStep)]
        return [s for s in steps if not isinstance(s, GlobalStep)] + [
            s for s in steps if isinstance(s, GlobalStep)
        ]

    @property
    def global_step(self) -> GlobalStep | None:
        return next((s for s in self.stages if isinstance(s, GlobalStep)), None)

    @classmethod
    def from_config(cls, config: dict[str, Any], *, where: str = "config") -> Pipeline:
        from corpus.config import build_stages, validate

        config = validate(config, where=where)
        return cls(build_stages(config, where=where), config=config)

    @classmethod
    def from_yaml(cls, path: str | Path) -> Pipeline:
        from corpus.config import load_yaml

        return cls.from_config(load_yaml(path), where=str(path))

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

    def process(self, doc: Document, stats: Stats) -> tuple[Document | None, list[Any], str]:
        """Worker side: per-document stages, then the corpus steps' fingerprints.

        Returns (document or None, fingerprints, "stage.reason" when dropped else "").
        """
        self.setup()
        for stage in self.doc_stages:
            outcome = stage.apply(doc)
            stats.record(stage.name, doc, outcome)
            if outcome.doc is None:
                return None, [], f"{stage.name}.{outcome.reason or 'unspecified'}"
            doc = outcome.doc
        return doc, [step.fingerprint(doc) for step in self.corpus_steps], ""

    def admit(self, doc: Document, keys: list[Any], stats: Stats) -> tuple[Outcome, str]:
        """Reduce side, in stable input order: streaming steps decide; the global step collects.

        Returns the outcome and "step.reason" when a step dropped the document, else "".
        """
        outcome = Outcome(doc)
        for step, key in zip(self.corpus_steps, keys, strict=True):
            if isinstance(step, GlobalStep):
                step.collect(key, doc)
                continue
            outcome = step.admit(key, doc)
            stats.record(step.name, doc, outcome)
            if outcome.doc is None:
                return outcome, f"{step.name}.{outcome.reason or 'unspecified'}"
            doc = outcome.doc
        return outcome, ""

    def resolve(self, stats: Stats) -> list[Verdict] | None:
        """After every document was admitted: the global step's verdicts (None without one)."""
        step = self.global_step
        if step is None:
            return None
        verdicts = step.resolve()
        for verdict in verdicts:
            stats[f"{step.name}.docs_in"] += 1
            if verdict.keep:
                stats[f"{step.name}.docs_out"] += 1
            else:
                stats[f"{step.name}.dropped.{verdict.reason or 'unspecified'}"] += 1
        return verdicts

    def run(self, docs: Iterable[Document], stats: Stats | None = None) -> Iterator[Document]:
        """Run everything in this process, yielding the kept documents in input order."""
        stats = Stats() if stats is None else stats
        for step in self.corpus_steps:
            step.reset()
        held: list[Document] = []  # only with a global step, which must see everything first
        for doc in docs:
            out, keys, _ = self.process(doc, stats)
            if out is None:
                continue
            kept = self.admit(out, keys, stats)[0].doc
            if kept is None:
                continue
            if self.global_step is None:
                yield kept
            else:
                held.append(kept)
        verdicts = self.resolve(stats) or []
        for doc, verdict in zip(held, verdicts, strict=True):
            if verdict.keep:
                yield apply_verdict(doc, verdict)

    def build(self, **overrides: Any):  # -> corpus.engines.local.BuildResult
        """Build the dataset described by this pipeline's config with the local engine."""
        from corpus.engines import run_build

        return run_build(self, **overrides)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_ready": False}

    def __repr__(self) -> str:
        return f"Pipeline({self.stages!r})"
