"""Statistics that cannot single anyone out (k-anonymity, SU4). No HTTP here.

Each group is counted in distinct people. A group of fewer than ``k`` people is never shown on
its own: the small groups are merged into one "other" group, and while that group is still
too small the smallest shown group joins it. Every person is in exactly one shown group and
nothing else is shown (no separate total), so no group can be worked out by subtraction; when
fewer than ``k`` people are counted in all, nothing is shown. People under a restriction
(Art. 18) are not counted.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal
from subsidies.base import subject_data
from subsidies.statistics import repository
from subsidies.statistics.schemas import Cell, GroupBy

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


def _bracket(children: int | None) -> str:
    if children is None:
        return "no profile"
    return "3+ children" if children >= 3 else f"{children} children"


async def statistics(
    db: AsyncSession, *, principal: Principal, by: GroupBy, year: int, k: int
) -> tuple[list[Cell], int]:
    rows = await repository.grants_of_year(db, tenant_id=principal.tenant_id, year=year)
    # Art. 18: a restricted person's data is kept, not used, not even in a count.
    frozen = await subject_data.flagged(db, subject_data.restrictions, list({r[0] for r in rows}))
    rows = [r for r in rows if r[0] not in frozen]
    label = (lambda r: r[1]) if by == GroupBy.KIND else (lambda r: _bracket(r[3]))
    groups: dict[str, list[tuple[str, int]]] = {}
    for row in rows:
        groups.setdefault(label(row), []).append((row[0], row[2]))
    return k_anonymous(groups, k)
