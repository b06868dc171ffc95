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

from corpus.config import default
from corpus.dedup.base import CorpusStep, GlobalStep
from corpus.document import Document
from corpus.settings import BuildConfig
from corpus.stages.base import Outcome, Stage
from corpus.stats import Stats


class Pipeline:
    """Stages in order; ``Pipeline([...])`` or ``Pipeline.from_yaml(path)``."""

    def __init__(self, stages: Sequence[Stage], *, config: dict[str, Any] | None = None) -> None:
        self.stages = list(stages)
        self.settings = BuildConfig.from_dict(
            config or {"stages": [{s.name: s.get_config()} for s in self.stages]}
        )
        output = self.settings.output
        self.min_chars: int = output.min_chars if output else default("output.min_chars")
        self.min_words: int = output.min_words if output else default("output.min_words")
        self.config_dir: str | None = None
        self._ready = False

    @property
    def config(self) -> dict[str, Any]:
        """The config as validated: a fresh copy (the pipeline's own is ``settings``, immutable)."""
        return self.settings.to_dict()

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
    def from_config(
        cls, config: dict[str, Any], *, where: str = "config", config_dir: str | None = None
    ) -> Pipeline:
        """Validate ``config`` (a dict as in YAML) and build its stages, once."""
        from corpus.config import load

        config, stages = load(config, where=where)
        pipeline = cls(stages, config=config)
        pipeline.config_dir = config_dir  # absolute inputs are recorded relative to it
        return pipeline

    @classmethod
    def from_yaml(cls, path: str | Path) -> Pipeline:
        from corpus.config import load_yaml

        return cls.from_config(load_yaml(path), where=str(path), config_dir=str(Path(path).parent))

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

    def run(self, docs: Iterable[Document], stats: Stats | None = None) -> Iterator[Document]:
        """Run every stage in this process, yielding the kept documents in input order.

        >>> from corpus.stages import build
        >>> from corpus.document import Document
        >>> docs = [Document("a", "Hello there."), Document("b", "hello   THERE.")]
        >>> [d.id for d in Pipeline([build("exact_dedup")]).run(docs)]
        ['a']
        """
        from corpus.engines import phases

        yield from phases.run(self, docs, Stats() if stats is None else stats)

    def build(
        self, *, inputs: list[str] | None = None, output: str | Path | None = None, **overrides: Any
    ) -> Any:  # -> corpus.engines.build.BuildResult
        """Build a dataset: this pipeline's config, or these stages over ``inputs`` into ``output``.

        A pipeline built in Python has no input or output yet: give both. ``overrides``:
        ``engine``, ``workers``, ``progress``, ``address``.
        """
        from corpus.engines import run_build

        pipeline = self
        if self.settings.input is None:
            if not inputs or output is None:
                from corpus.errors import ConfigError

                raise ConfigError(
                    "this pipeline has no input or output: Pipeline.from_yaml(path).build(), "
                    "or pipeline.build(inputs=[...], output=...)"
                )
            config = {**self.config, "input": {"paths": list(inputs)}, "output": {"path": str(output)}}
            pipeline = Pipeline.from_config(config, where="pipeline.build")
        elif inputs:
            pipeline = Pipeline.from_config(
                {**self.config, "input": {**self.config["input"], "paths": list(inputs)}},
                where="pipeline.build",
                config_dir=self.config_dir,
            )
        return run_build(pipeline, output=output, **overrides)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_ready": False}

    def __repr__(self) -> str:
        return f"Pipeline({self.stages!r})"
