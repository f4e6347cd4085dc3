"""The benchmarks' charts (issue 16, part 5): a PNG beside each result, ``bench/results/
<kind>-latest.png`` (committed, so that each figure the docs show has its source).

Two shapes cover every benchmark:
  - ``percentiles_chart``: latency percentiles (p50, p95, p99, ...) per request kind, grouped
    bars, one group per kind;
  - ``series_chart``: one or more series of (x, y) points, e.g. a data-subject request's time
    against the number of people, or latency against the offered rate.

matplotlib's object interface on its Agg canvas: no pyplot, so no display, no GUI toolkit
and no global state, the same PNG on any machine.
"""

from collections.abc import Mapping, Sequence
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: Where ``<kind>-latest.png`` goes (bench/results, beside the JSON).
RESULTS = Path(__file__).resolve().parent / "results"
#: Pixels: 10 x 5.5 inches at 100 dpi, readable inline in a Markdown page.
SIZE_INCHES, DPI = (10.0, 5.5), 100


def chart_path(kind: str, directory: Path | None = None) -> Path:
    """``<directory>/<kind>-latest.png`` (``bench/results`` by default), its folder made."""
    folder = directory or RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{kind}-latest.png"


def percentiles_chart(
    kind: str,
    title: str,
    latencies: Mapping[str, Mapping[str, float]],
    *,
    unit: str = "ms",
    log_scale: bool = False,
    directory: Path | None = None,
) -> Path:
    """Grouped bars: for each request kind (``latencies``' keys, in order) its percentiles
    (``{"p50": 12.0, "p95": 30.5, "p99": 41.0}``, in the order of the first kind's), each bar
    labelled with its value. ``log_scale`` when the kinds differ by orders of magnitude.
    Returns the PNG's path."""
    if not latencies:
        raise ValueError("nothing to draw")
    labels = list(latencies)
    names = list(next(iter(latencies.values())))
    width = 0.8 / max(len(names), 1)
    # Wider for many bars (a 9 x 3 chart stays readable), never narrower than the default.
    figure, axes = _figure(max(SIZE_INCHES[0], 0.42 * len(labels) * len(names) + 2))
    for i, name in enumerate(names):
        xs = [k + (i - (len(names) - 1) / 2) * width for k in range(len(labels))]
        values = [float(latencies[label].get(name, float("nan"))) for label in labels]
        bars = axes.bar(xs, values, width, label=name)
        axes.bar_label(bars, fmt=_fmt, fontsize=8, padding=2)
    axes.set_xticks(range(len(labels)), labels, fontsize=9 if len(labels) > 4 else 10)
    axes.set_ylabel(f"latency ({unit})")
    if log_scale:
        axes.set_yscale("log")
    axes.set_title(title)
    axes.legend()
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    path = chart_path(kind, directory)
    figure.savefig(path)
    return path


def series_chart(
    kind: str,
    title: str,
    x_label: str,
    y_label: str,
    series: Mapping[str, Sequence[tuple[float, float]]],
    *,
    log_x: bool = False,
    log_y: bool = False,
    point_labels: bool = True,
    directory: Path | None = None,
) -> Path:
    """Lines with markers: each series' (x, y) points (sorted by x), each point labelled with
    its y (``point_labels=False`` for a long series: a line, no markers, no labels). ``log_x``
    for sizes that grow tenfold (10,000 then 100,000 people). Returns the PNG's path."""
    if not any(series.values()):
        raise ValueError("nothing to draw")
    figure, axes = _figure()
    for name, points in series.items():
        ordered = sorted((float(x), float(y)) for x, y in points)
        xs, ys = [x for x, _ in ordered], [y for _, y in ordered]
        axes.plot(xs, ys, marker="o" if point_labels else "", label=name)
        for x, y in ordered if point_labels else []:
            axes.annotate(_fmt(y), (x, y), textcoords="offset points", xytext=(0, 6), ha="center")
    axes.set_xlabel(x_label)
    axes.set_ylabel(y_label)
    if log_x:
        axes.set_xscale("log")
    if log_y:
        axes.set_yscale("log")
    axes.set_title(title)
    if len(series) > 1:
        axes.legend()
    axes.grid(alpha=0.3)
    figure.tight_layout()
    path = chart_path(kind, directory)
    figure.savefig(path)
    return path


def _figure(width: float = SIZE_INCHES[0]) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(width, SIZE_INCHES[1]), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure, figure.subplots()


def _fmt(value: float) -> str:
    """A bar's or a point's label: whole numbers from 100 up, one decimal below."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}"
