"""The `corpus` command line's argument types (--workers, --limit, --sample, --seed) and its
log levels (-v/-q, before or after the subcommand)."""

from __future__ import annotations

import argparse
import sys


def _workers(value: str) -> int | str:
    """--workers: a count of processes (0 = in the main process) or 'auto'."""
    if value == "auto":
        return value
    try:
        count = int(value)
    except ValueError:
        count = -1
    if count < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0 or 'auto', got {value!r}")
    return count


def _positive(value: str) -> int:
    """--limit: a count of records >= 1."""
    try:
        count = int(value)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value!r}")
    return count


def _fraction(value: str) -> float:
    """--sample: a share of the records, 0 < F <= 1."""
    try:
        share = float(value)
    except ValueError:
        share = -1.0
    if not 0 < share <= 1:
        raise argparse.ArgumentTypeError(f"expected a fraction in (0, 1], e.g. 0.1; got {value!r}")
    return share


def _seed(value: str) -> int:
    try:
        seed = int(value)
    except ValueError:
        seed = -1
    if seed < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {value!r}")
    return seed


def _verbosity(every: bool) -> argparse.ArgumentParser:
    """-v/-q, accepted before the subcommand and after it (``every``: the subcommands' copy,
    whose defaults leave the values given before the subcommand alone)."""
    parent = argparse.ArgumentParser(add_help=False)
    keep = {"default": argparse.SUPPRESS} if every else {}
    parent.add_argument(
        "-v", "--verbose", action="count", help="more log lines on stderr (-v info, -vv debug)",
        **({"default": 0} if not every else keep),
    )  # fmt: skip
    parent.add_argument(
        "-q", "--quiet", action="store_true", help="errors only: no progress, no warnings",
        **({"default": False} if not every else keep),
    )  # fmt: skip
    return parent


def setup_logging(verbose: int, quiet: bool) -> int:
    """Log levels of the ``corpus`` loggers: WARNING, INFO with -v, DEBUG with -vv, ERROR with -q.
    Messages go to stderr as ``corpus: LEVEL: message``; other libraries stay at WARNING."""
    import logging

    level = logging.ERROR if quiet else {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("corpus: %(levelname)s: %(message)s"))
    logger = logging.getLogger("corpus")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(level)
    logging.captureWarnings(True)
    logging.getLogger("py.warnings").setLevel(logging.ERROR if quiet else logging.WARNING)
    return level
