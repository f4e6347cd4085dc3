"""Every result file the docs quote is committed, and a run at other sizes keeps its own file."""

import re
from pathlib import Path

from bench.dsr import DEFAULT_SCALES, result_kind

ROOT = Path(__file__).resolve().parents[1]
CITED = re.compile(r"(?:bench|proof)/results/[\w.-]+\.(?:json|png|md)")


def test_each_result_file_the_docs_cite_is_committed() -> None:
    cited: set[str] = set()
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        cited.update(CITED.findall(doc.read_text(encoding="utf-8")))
    assert "bench/results/dsr-latest.json" in cited
    missing = sorted(path for path in cited if not (ROOT / path).is_file())
    assert not missing, f"cited in docs but not in the repository: {missing}"


def test_a_run_at_other_sizes_writes_its_own_latest_file() -> None:
    assert result_kind(DEFAULT_SCALES) == "dsr"
    assert result_kind([1_000_000]) == "dsr-1m"
    assert result_kind([10_000]) == "dsr-10k"
    assert result_kind([2_500, 20_000]) == "dsr-2500-20k"
