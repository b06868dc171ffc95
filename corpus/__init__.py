"""corpus: composable cleaning stages for training-grade text corpora.

>>> import corpus
>>> docs = [corpus.Document("a", "Hello   world."), corpus.Document("b", "hello world.")]
>>> pipeline = corpus.Pipeline([corpus.stages.build("fix_encoding"), corpus.stages.build("exact_dedup")])
>>> [d.id for d in corpus.run(pipeline, docs)]
['a']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from corpus import errors, stages
from corpus.document import Document, Edit
from corpus.errors import BuildError, ConfigError, CorpusError, InputError
from corpus.explaining import explain
from corpus.pipeline import Pipeline
from corpus.stages.base import Outcome, Stage
from corpus.stats import Stats
from corpus.version import __version__

__all__ = [
    "BuildError",
    "ConfigError",
    "CorpusError",
    "Document",
    "Edit",
    "InputError",
    "Outcome",
    "Pipeline",
    "Stage",
    "Stats",
    "__version__",
    "build",
    "errors",
    "explain",
    "read",
    "run",
    "stages",
]


def build(config: str | Path | dict[str, Any], **overrides: Any) -> Any:
    """Build the dataset a config describes (a YAML path or a dict); returns the ``BuildResult``.

    ``overrides``: ``output``, ``engine``, ``workers``, ``progress``, ``address``.
    """
    if isinstance(config, dict):
        return Pipeline.from_config(config).build(**overrides)
    return Pipeline.from_yaml(config).build(**overrides)


def run(pipeline: Pipeline, docs: Iterable[Document], stats: Stats | None = None) -> Iterator[Document]:
    """Run ``pipeline`` over ``docs`` in this process, yielding the kept documents in input order."""
    return pipeline.run(docs, stats)


def read(path: str | Path, **options: Any) -> Iterator[Document]:
    """The documents of one input file (any format ``corpus build`` reads; ``options`` as the
    config's ``input`` section). A record that cannot be read raises ``InputError``."""
    from corpus.io.read import expand_inputs, read_input
    from corpus.io.read.base import Quarantined, Skipped

    for found in expand_inputs([str(path)]):
        for item in read_input(found, {"format": "auto", **options}):
            if isinstance(item, Quarantined):
                raise InputError(item.error, path=item.path, line=item.line)
            if not isinstance(item, Skipped):
                yield item
