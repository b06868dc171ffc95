"""The exception hierarchy, grouped by how a runner should react.

ConfigError: the user's config or arguments are wrong; stop before any work.
InputError: one input record or file cannot be read; quarantine it and go on.
BuildError: the build itself cannot continue (output not writable, verify failed).
"""

from __future__ import annotations


class CorpusError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(CorpusError, ValueError):
    """A config key, stage name or option is wrong. The message names the key."""


class InputError(CorpusError):
    """A record or file could not be read. Carries where: file, line or offset, and the start
    of the record (``raw``) for the quarantine file. The readers raise it; the one place that
    turns it into a quarantined record is ``corpus.io.read.base.Quarantined.from_error``."""

    def __init__(
        self,
        message: str,
        *,
        path: str = "",
        line: int | None = None,
        raw: str = "",
        offset: int | None = None,
    ) -> None:
        where = path + (f":{line}" if line is not None else "")
        super().__init__(f"{where}: {message}" if where else message)
        self.path = path
        self.line = line
        self.reason = message
        self.raw = raw
        self.offset = offset


class BuildError(CorpusError):
    """The build cannot go on (output unwritable, checksum mismatch, ...)."""
