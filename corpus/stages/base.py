"""The Stage interface.

A stage is a small, picklable object with a name and a config. Calling it on a
Document returns the (possibly changed) Document, or None to drop it. The
richer form, ``apply``, also says *why*: the drop reason, the edits made
(each with the rule that made it) and extra counters. Runners count from
``apply``; stages never count into shared state and never do I/O.

A stage declares its options once, ``OPTIONS = {name: Option(...)}`` (``corpus.options``):
the base constructor checks every value against the declaration and stores it unchanged
(scikit-learn style), so ``stage.get_config()`` round-trips to YAML. Options are fixed once
built (``stage.replace(option=value)`` gives a new, checked stage); what a stage derives from
them is computed in ``configure()``; heavy state (models) is loaded lazily in ``setup()``, once
per worker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from corpus.document import Document, Edit
from corpus.options import Option
from corpus.options import check_options as check_declared


@dataclass
class Outcome:
    """What a stage did to one document."""

    doc: Document | None
    reason: str | None = None  # stable drop-reason code when doc is None
    note: str = ""  # a drop's one-line explanation for the drop log, e.g. "near duplicate of X"
    edits: list[Edit] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # extra counters, keys without the stage prefix
    info: dict[str, Any] = field(default_factory=dict)  # details of a drop for the build's drop log

    @classmethod
    def drop(cls, reason: str, **counts: int) -> Outcome:
        return cls(None, reason=reason, counts=dict(counts))


class Stage:
    """Base class of per-document stages. Subclasses set ``name``, declare ``OPTIONS`` and implement
    ``apply``; they do not define ``__init__`` (``configure`` derives what the options imply)."""

    name: ClassVar[str] = ""
    OPTIONS: ClassVar[Mapping[str, Option]] = {}

    def __init__(self, **options: Any) -> None:
        values = check_declared(self.name or type(self).__name__, self.OPTIONS, options)
        object.__setattr__(self, "_options", values)
        for key, value in values.items():
            object.__setattr__(self, key, value)
        self.configure()

    def configure(self) -> None:
        """Check how options combine and derive private state from them; ConfigError when wrong."""

    def __setattr__(self, key: str, value: Any) -> None:
        if key in type(self).OPTIONS and "_options" in self.__dict__:
            raise AttributeError(
                f"{self.name}.{key} is fixed when the stage is built; use stage.replace({key}=...)"
            )
        object.__setattr__(self, key, value)

    def replace(self, **changes: Any) -> Stage:
        """A new stage with some options changed, checked like any other."""
        return type(self)(**{**self.get_config(), **changes})

    def setup(self) -> None:
        """Load heavy state once per worker. Called before the first document; idempotent."""

    def apply(self, doc: Document) -> Outcome:  # pragma: no cover - abstract
        raise NotImplementedError

    def apply_batch(self, docs: list[Document]) -> list[Outcome]:
        """Batch form; must give exactly what ``apply`` gives one by one."""
        return [self.apply(d) for d in docs]

    def __call__(self, doc: Document) -> Document | None:
        self.setup()
        return self.apply(doc).doc

    @classmethod
    def options(cls) -> dict[str, Any]:
        """The accepted config keys and their defaults, from the declaration."""
        return {name: opt.default for name, opt in cls.OPTIONS.items()}

    def get_config(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.options()}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def __getstate__(self) -> dict[str, Any]:
        # Ship options only; workers rebuild derived state (configure) and heavy state (setup).
        return {"_options": dict(self._options)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        Stage.__init__(self, **state["_options"])
