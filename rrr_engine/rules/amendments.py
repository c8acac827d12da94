"""The checks on a ratio table's amendments (``amendments:``), as data for both pack readers.

An amendment (:class:`rrr_engine.rules.model.Amendment`) sets cells the table already has to
new values from a date on. What it may say depends on its table and the pack: the classes and
categories it names must be declared and be a cell of the table (an amendment changes a
figure, it never adds coverage); its date lies within the table's dates and is a month in a
monthly pack; bands go on domestic categories only, as in a row; and one cell is amended at
most once on one date, since two values from one date leave the figure undecided. The loader
(:mod:`rrr_engine.rules.pack`) raises on the first problem; ``rrr rules check`` lists them all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rrr_engine.periods import Month
from rrr_engine.rules.model import PackHeader, RatioTable

__all__ = ["amendment_problems"]


def amendment_problems(table: RatioTable, header: PackHeader,
                       monthly: bool) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(path inside the table, problem) for each amendment of ``table`` that cannot apply."""
    cells = {(cls, cat) for row in table.rows for cls in row.classes for cat in row.values}
    start, end = table.effective.first_day, table.effective.last_day
    seen: dict[tuple[str, str, Any], int] = {}
    for i, amendment in enumerate(table.amendments):
        here = ("amendments", i)
        when = amendment.from_
        if monthly and not isinstance(when, Month):
            yield (*here, "from"), ("amendment dates are months (YYYY-MM) in a pack with "
                                    "monthly periods; days need periods: {kind: calendar}")
        elif amendment.first_day < start:
            yield (*here, "from"), (f"amendment from {when} is before table {table.id} starts "
                                    f"({table.effective.from_}); amend the table in force then")
        elif end is not None and amendment.first_day > end:
            yield (*here, "from"), (f"amendment from {when} is after table {table.id} ends "
                                    f"({table.effective.to}); amend the table in force then")
        for cls in amendment.classes:
            if cls not in header.classes:
                yield (*here, "classes"), (f"unknown class {cls!r}; declared: "
                                           f"{', '.join(sorted(header.classes))}")
        for cat, value in amendment.values.items():
            if cat not in header.categories:
                yield (*here, "values", cat), (f"unknown category {cat!r}; declared: "
                                               f"{', '.join(sorted(header.categories))}")
                continue
            if isinstance(value, tuple) and header.categories[cat].kind != "domestic":
                yield (*here, "values", cat), ("tiered ratios (bands) are for domestic "
                                               "categories: band amounts are in the domestic "
                                               "currency")
            for cls in amendment.classes:
                if cls not in header.classes:
                    continue
                if (cls, cat) not in cells:
                    yield (*here, "values", cat), (
                        f"table {table.id} has no {cls} × {cat} cell to amend; an amendment "
                        "changes a figure the table sets (add a row to the table instead)")
                    continue
                key = (cls, cat, amendment.first_day)
                if key in seen:
                    yield (*here, "values", cat), (
                        f"{cls} × {cat} is amended twice from {when} (amendments "
                        f"{seen[key] + 1} and {i + 1} of table {table.id}): one value per date")
                else:
                    seen[key] = i
