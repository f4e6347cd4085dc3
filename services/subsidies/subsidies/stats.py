"""Statistics that cannot single anyone out (k-anonymity, SU4).

Each group is counted in distinct people. A group of fewer than ``k`` people is never shown on
its own: the small groups are merged into one "other" group, and while that group is still
too small the smallest shown group joins it. Every person is in exactly one shown group and
nothing else is shown (no separate total), so no group can be worked out by subtraction; when
fewer than ``k`` people are counted in all, nothing is shown.
"""

from subsidies.schemas import Cell

OTHER = "other"


def _cell(label: str, uses: list[tuple[str, int]]) -> Cell:
    return Cell(
        label=label,
        people=len({person for person, _ in uses}),
        uses=len(uses),
        amount_cents=sum(amount for _, amount in uses),
    )


def k_anonymous(groups: dict[str, list[tuple[str, int]]], k: int) -> tuple[list[Cell], int]:
    """``groups``: label -> ``[(person, amount), ...]``. Returns the cells to show (largest
    first) and how many groups were merged into "other"."""
    people = {label: len({p for p, _ in uses}) for label, uses in groups.items()}
    shown = sorted((label for label in groups if people[label] >= k), key=lambda x: (-people[x], x))
    merged = [label for label in groups if people[label] < k]
    other = [use for label in merged for use in groups[label]]
    while other and len({p for p, _ in other}) < k and shown:
        smallest = shown.pop()
        merged.append(smallest)
        other += groups[smallest]
    if other and len({p for p, _ in other}) < k:
        return [], len(merged)
    cells = [_cell(label, groups[label]) for label in shown]
    if other:
        cells.append(_cell(OTHER, other))
    return cells, len(merged)
