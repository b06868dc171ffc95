"""What a build shows while it runs: one line of progress per phase, on stderr only.

``Progress(enabled)`` is made once per build (``corpus.engines.build.run_build``) and opens a
``Phase`` for each phase of it (hash inputs, map, decide, write, finish); both engines report
into the phase the shell opened, so they show the same thing:

- on a terminal: a tqdm bar with the phase's total, its rate and ETA;
- elsewhere (a pipe, a log file, CI): no bar, a plain line every ``interval`` seconds and one
  at the phase's end, e.g. ``corpus: map 12/40 blocks, 51,200 docs, 1,900 docs/s, eta 0:00:14``;
- ``enabled=False`` (``--quiet``): nothing.

Progress never touches what a build writes: it goes to stderr and reads only the counts the
phases already return, so the output is the same bytes with or without it.

>>> import io
>>> out = io.StringIO()
>>> with Progress(None, stream=out).phase("write", total=2, unit="blocks") as phase:
...     phase.update(1, 10)
...     phase.update(1, 5)
>>> out.getvalue().startswith("corpus: write 2/2 blocks, 15 docs")
True
"""

from __future__ import annotations

import sys
import threading
import time
from typing import IO, Any

INTERVAL = 10.0  # seconds between plain lines when stderr is not a terminal
_SINGULAR = {"blocks": "block", "files": "file", "passes": "pass", "steps": "step"}  # tqdm's "pass/s"


def clock(seconds: float) -> str:
    """``0:01:05`` for 65 seconds.

    >>> clock(65.4), clock(3725)
    ('0:01:05', '1:02:05')
    """
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _amount(value: float, extra: str, rate: bool = False) -> str:
    """A secondary count as a person reads it: ``51,200 docs``, ``1 doc``, ``0.5 docs`` (a rate)
    or ``1.2 GB``."""
    if extra != "bytes":
        shown = f"{value:.1f}" if rate and value < 10 else f"{round(value):,}"
        return f"{shown} {extra.removesuffix('s') if shown == '1' else extra}"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


class Phase:
    """One phase's counts: ``done`` of ``total`` units (blocks, files, steps) and a secondary
    count (documents or bytes) with its rate; shown as a bar or as plain lines."""

    def __init__(
        self,
        name: str,
        *,
        mode: str,
        stream: IO[str],
        total: int | None,
        unit: str,
        extra: str | None,
        initial: int,
        interval: float,
    ) -> None:
        self.name, self.mode, self.stream, self.total, self.unit = name, mode, stream, total, unit
        self.extra, self.interval = extra, interval
        self.done = self.initial = initial
        self.amount = 0.0
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._bar: Any = None
        self._ticker: threading.Thread | None = None
        if mode == "bar":
            from tqdm import tqdm

            self._bar = tqdm(
                desc=name, total=total, initial=initial, unit=_SINGULAR.get(unit, unit), file=stream,
                dynamic_ncols=True, leave=True,
            )  # fmt: skip
        if mode in ("bar", "lines"):
            self._ticker = threading.Thread(target=self._tick, name=f"progress-{name}", daemon=True)
            self._ticker.start()

    def update(self, units: int = 1, amount: float = 0) -> None:
        """``units`` more of the total done, and ``amount`` more documents (or bytes)."""
        with self._lock:
            self.done += units
            self.amount += amount
            if self._bar is not None:
                self._bar.update(units)
                if self.extra:
                    self._bar.set_postfix_str(self._extra_text(), refresh=False)

    def summary(self, summary: dict[str, Any]) -> None:
        """One block done, from the summary its map or write returned (documents read or kept)."""
        self.update(1, summary.get("read", summary.get("kept", 0)))

    def _rate(self) -> tuple[float, float]:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        return (self.done - self.initial) / elapsed, self.amount / elapsed

    def _extra_text(self) -> str:
        _, per_second = self._rate()
        return f"{_amount(self.amount, self.extra)}, {_amount(per_second, self.extra, rate=True)}/s"

    def line(self, end: bool = False) -> str:
        """``corpus: map 12/40 blocks, 51,200 docs, 1,900 docs/s, eta 0:00:14``."""
        with self._lock:
            count = f"{self.done}/{self.total}" if self.total is not None else f"{self.done}"
            parts = [f"corpus: {self.name} {count} {self.unit}"]
            if self.extra:
                parts.append(self._extra_text())
            elapsed = time.monotonic() - self.started
            units_per_second, _ = self._rate()
            if end:
                parts.append(f"done in {clock(elapsed)}")
            elif self.total is not None and units_per_second > 0:
                parts.append(f"eta {clock((self.total - self.done) / units_per_second)}")
            else:
                parts.append(f"elapsed {clock(elapsed)}")
            return ", ".join(parts)

    def _tick(self) -> None:
        """Lines mode: a line every ``interval`` s; bar mode: keep the bar's clock moving."""
        wait = self.interval if self.mode == "lines" else 1.0
        while not self._stop.wait(wait):
            if self.mode == "lines":
                self._write(self.line())
            else:
                with self._lock:
                    self._bar.refresh()

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text + "\n")
            self.stream.flush()
        except (OSError, ValueError):  # stderr closed: progress is not worth failing a build for
            pass

    def close(self, ok: bool = True) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self._bar is not None:
            self._bar.close()
        elif self.mode == "lines" and ok:
            self._write(self.line(end=True))

    def __enter__(self) -> Phase:
        return self

    def __exit__(self, kind: Any, *_: Any) -> None:
        self.close(ok=kind is None)


class Progress:
    """The phases of one build as they are shown: bars on a terminal, plain lines elsewhere.

    ``enabled``: None decides by the stream (a terminal: bars; else plain lines), True the same,
    False shows nothing.
    """

    def __init__(
        self, enabled: bool | None = None, *, stream: IO[str] | None = None, interval: float = INTERVAL
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        if enabled is False:
            self.mode = "off"
        else:
            isatty = getattr(self.stream, "isatty", None)
            self.mode = "bar" if isatty is not None and isatty() else "lines"

    def phase(
        self,
        name: str,
        *,
        total: int | None = None,
        unit: str = "blocks",
        extra: str | None = "docs",
        initial: int = 0,
    ) -> Phase:
        """A phase shown from now until it is closed (use it as a context manager)."""
        return Phase(
            name,
            mode=self.mode,
            stream=self.stream,
            total=total,
            unit=unit,
            extra=extra,
            initial=initial,
            interval=self.interval,
        )


def nothing(summary: dict[str, Any]) -> None:
    """A phase callback that shows nothing (an engine called without a phase)."""
