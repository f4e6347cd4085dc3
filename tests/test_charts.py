"""bench/charts.py: each benchmark's chart is a real PNG of a readable size."""

import struct
from pathlib import Path

import pytest

from bench.charts import percentiles_chart, series_chart

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG's header (its first chunk is IHDR)."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_latency_percentiles_per_request_kind(tmp_path: Path) -> None:
    path = percentiles_chart(
        "gateway",
        "Gateway: latency per run",
        {
            "A. via gateway": {"p50": 39.0, "p95": 80.2, "p99": 131.0},
            "B. direct": {"p50": 39.7, "p95": 70.0, "p99": 85.0},
        },
        directory=tmp_path,
    )
    assert path == tmp_path / "gateway-latest.png"
    width, height = png_size(path)
    assert (width, height) == (1000, 550)
    assert path.stat().st_size > 10_000  # bars, labels and a legend, not an empty canvas


def test_a_series_against_a_size_on_a_log_axis(tmp_path: Path) -> None:
    path = series_chart(
        "dsr",
        "Data-subject requests: time against people",
        "people",
        "seconds",
        {"access": [(100_000, 41.5), (10_000, 5.2)], "erasure": [(10_000, 7.0), (100_000, 60.0)]},
        log_x=True,
        directory=tmp_path,
    )
    assert path.name == "dsr-latest.png"
    assert png_size(path) == (1000, 550)
    assert path.stat().st_size > 10_000


def test_a_new_chart_replaces_the_latest(tmp_path: Path) -> None:
    first = series_chart("x", "t", "a", "b", {"s": [(1, 1), (2, 2)]}, directory=tmp_path)
    again = series_chart("x", "t", "a", "b", {"s": [(1, 3), (2, 1)]}, directory=tmp_path)
    assert first == again
    assert [p.name for p in tmp_path.iterdir()] == ["x-latest.png"]


def test_nothing_to_draw_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="nothing to draw"):
        percentiles_chart("empty", "t", {}, directory=tmp_path)
    with pytest.raises(ValueError, match="nothing to draw"):
        series_chart("empty", "t", "a", "b", {"s": []}, directory=tmp_path)
