"""The report's charts: matplotlib (a bare Figure: no pyplot state, no GUI backend) drawn to inline
SVG, byte-for-byte deterministic.

Determinism: ``svg.hashsalt`` is fixed (matplotlib derives its element ids from it and the content),
the ``Date`` metadata is dropped, and each chart's ids get a prefix of its own so that several
charts inline in one page never share an id. Text stays text (``svg.fonttype: none``): the charts
are small and the browser's sans-serif draws them, nothing is fetched.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence

_STYLE = {
    "svg.hashsalt": "corpus-report",
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.size": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 9.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.edgecolor": "#888888",
    "axes.grid": True,
    "grid.color": "#e4e4e4",
    "grid.linewidth": 0.6,
    "xtick.color": "#444444",
    "ytick.color": "#444444",
    "path.simplify": False,
}
BLUE, RED, GREY, GREEN = "#3b6ea8", "#c0504d", "#9a9a9a", "#4f8a4f"
_IDS = re.compile(r'(\bid="|url\(#|href="#)([^"()]+)')


def _figure(width: float, height: float):  # -> (Figure, Axes)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=72)
    return fig, fig.add_subplot(1, 1, 1)


def _svg(fig, prefix: str) -> str:
    """The figure as an inline ``<svg>`` element (no XML prolog), its ids prefixed with ``prefix``."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": _STYLE["svg.hashsalt"]}):
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight", pad_inches=0.04)
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, count=1, flags=re.S)
    text = _IDS.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", text)
    return text.replace("<svg ", f'<svg role="img" class="chart" data-chart="{prefix}" ', 1).strip()


def _styled(draw):  # a chart function runs inside the report's rc style
    def run(*args, **kwargs) -> str:
        import matplotlib

        with matplotlib.rc_context(_STYLE):
            return draw(*args, **kwargs)

    run.__doc__, run.__name__ = draw.__doc__, draw.__name__
    return run


def _fmt(v: float) -> str:
    if v >= 1_000_000:
        return f"{v / 1_000_000:g}M"
    if v >= 1000:
        return f"{v / 1000:g}k"
    return f"{v:g}"


@_styled
def log_histogram(pairs: Sequence[Sequence[float]], title: str, xlabel: str, prefix: str) -> str:
    """A histogram of [[value, count], ...] on log-spaced bins (values < 1 go to the first bin)."""
    import numpy as np
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    values = np.array([max(float(v), 1.0) for v, _ in pairs])
    weights = np.array([float(c) for _, c in pairs])
    lo, hi = math.log10(values.min()), math.log10(values.max())
    if hi - lo < 0.3:
        lo, hi = lo - 0.15, hi + 0.15
    bins = np.logspace(lo, hi + 1e-9, min(30, max(8, int((hi - lo) * 10))) + 1)
    fig, ax = _figure(4.3, 2.3)
    ax.hist(values, bins=bins, weights=weights, color=BLUE, edgecolor="white", linewidth=0.4)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _fmt(v)))
    # few powers of ten in view: label the ticks between them too (all, or the 2s and 5s)
    shown = set(range(2, 10)) if hi - lo < 0.6 else {2, 5} if hi - lo < 1.2 else set()
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: _fmt(v) if _lead(v) in shown else ""))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("documents")
    ax.grid(axis="x", visible=False)
    return _svg(fig, prefix)


@_styled
def histogram(pairs: Sequence[Sequence[float]], title: str, prefix: str) -> str:
    """A histogram of [[value, count], ...] on 20 linear bins (a quality signal's values)."""
    import numpy as np

    values = np.array([float(v) for v, _ in pairs])
    weights = np.array([float(c) for _, c in pairs])
    lo, hi = float(values.min()), float(values.max())
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    fig, ax = _figure(2.9, 1.7)
    ax.hist(
        values, bins=np.linspace(lo, hi, 21), weights=weights, color=GREEN, edgecolor="white", linewidth=0.4
    )
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title, fontsize=8.5)
    ax.tick_params(labelsize=7.5)
    ax.grid(axis="x", visible=False)
    return _svg(fig, prefix)


@_styled
def hbars(
    items: Sequence[tuple[str, float]],
    title: str,
    xlabel: str,
    prefix: str,
    colors: Sequence[str] | None = None,
    log: bool = False,
) -> str:
    """Horizontal bars, first item on top, each labelled with its value."""
    labels = [_short(name) for name, _ in items]
    values = [float(v) for _, v in items]
    fig, ax = _figure(5.2, 0.45 + 0.22 * max(len(items), 2))
    ys = list(range(len(items)))[::-1]
    ax.barh(ys, values, color=list(colors) if colors else BLUE, height=0.7)
    ax.set_yticks(ys, labels)
    ax.tick_params(axis="y", length=0)
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _fmt(v)))
    if log:
        ax.set_xscale("symlog", linthresh=1)
    top = max(values) if values and max(values) > 0 else 1.0
    ax.set_xlim(0, top * (3.0 if log else 1.18))
    for y, v in zip(ys, values, strict=True):
        ax.text(v, y, f" {int(v):,}" if float(v).is_integer() else f" {v:,.3g}", va="center", fontsize=7.5)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    return _svg(fig, prefix)


@_styled
def bars(pairs: Sequence[tuple[str, int]], title: str, xlabel: str, ylabel: str, prefix: str) -> str:
    """Vertical bars, one per labelled category in order (cluster-size buckets), y on a log scale
    when the counts span more than 2 decades."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    labels = [str(x) for x, _ in pairs]
    ys = [int(y) for _, y in pairs]
    fig, ax = _figure(max(2.4, min(4.3, 1.3 + 0.3 * len(labels))), 2.3)
    xs = list(range(len(labels)))
    ax.bar(xs, ys, color=RED, width=0.7)
    ax.set_xticks(
        xs, labels, rotation=45 if len(labels) > 9 else 0, ha="right" if len(labels) > 9 else "center"
    )
    ax.set_xlim(-0.6, len(labels) - 0.4)
    positive = [y for y in ys if y > 0]
    if positive and max(positive) / min(positive) > 100:
        ax.set_yscale("log")
        ax.set_ylim(bottom=0.5)  # a single cluster is a visible bar
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _fmt(v) if v >= 1 else ""))
    else:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(axis="x", visible=False)
    return _svg(fig, prefix)


def _lead(v: float) -> int:
    """The leading digit of ``v`` (> 0)."""
    return int(round(v / 10 ** math.floor(math.log10(v) + 1e-9), 6))


def _short(label: str, width: int = 38) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"
