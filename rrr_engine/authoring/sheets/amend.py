"""An amendment typed into a decision table, turned into the table's ``amendments:`` entries.

Staff export a table with the figures in force on a date (``rrr rules export --at 2026-01``:
the grid shows each cell as amended by then and pre-fills ``amendment_from``), type the new
figures, fill ``amendment_citation_document`` and ``amendment_citation_article`` (the
amending document), and import. Each cell typed differently from the figure in force just
before ``amendment_from`` becomes an amendment from that date, classes changing alike
grouped into one entry; a cell typed back to that earlier figure withdraws an amendment of
that date. The table's own rows, dates and citation stay as the pack has them, so a sheet
that changes those as well is refused: an amendment import changes figures only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from rrr_engine.rules.bands import Cell
from rrr_engine.rules.issues import Issue
from rrr_engine.rules.model import Amendment, Citation, Effective, RatioTable
from rrr_engine.rules.spans import before

__all__ = ["amend_from_sheet"]

_CITATION = ("document", "article", "clause", "note")


def _issue(file: Path, where: str, key: str, problem: str) -> Issue:
    return Issue("error", "cell", str(file), None, f"{where} ({key})" if where else key, problem)


def _labels(file: Path, labels: dict[str, tuple[str, str]]) -> tuple[Any, Citation | None,
                                                                       list[Issue]]:
    """The amendment date and citation the labels give, or the issues with them."""
    issues: list[Issue] = []
    where, text = labels["amendment_from"]
    try:
        start = Effective.model_validate({"from": text}).from_
    except ValidationError as exc:
        msg = exc.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
        issues.append(_issue(file, where, "amendment_from", msg))
        start = None
    data = {part: labels[f"amendment_citation_{part}"][1] for part in _CITATION
            if f"amendment_citation_{part}" in labels}
    for part in ("document", "article"):
        if part not in data:
            issues.append(_issue(file, "", f"amendment_citation_{part}",
                                 "required for an amendment: the amending document and article"))
    try:
        citation = Citation.model_validate(data) if not issues else None
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        key = f"amendment_citation_{first['loc'][0]}" if first["loc"] else "amendment_citation"
        issues.append(_issue(file, labels.get(key, ("", ""))[0], key, first["msg"]))
        citation = None
    return start, citation, issues


def amend_from_sheet(existing: RatioTable, typed: RatioTable, file: Path,
                     labels: dict[str, tuple[str, str]]) -> tuple[RatioTable | None, list[Issue]]:
    """``existing`` with the amendments the sheet ``typed`` makes from ``amendment_from``."""
    start, citation, issues = _labels(file, labels)
    for name in ("effective", "citation", "title"):
        if getattr(typed, name) != getattr(existing, name):
            issues.append(_issue(file, "", name, f"the sheet's table {name} differs from the "
                                 "pack's; an amendment import changes figures only (the "
                                 "amending document goes under amendment_citation_*)"))
    if start is None or issues:
        return None, issues
    day = start.first if hasattr(start, "first") else start
    same_day = [a for a in existing.amendments if a.first_day == day]
    entries: dict[tuple[str, str], tuple[Cell, Citation]] = {
        (cls, cat): (value, a.citation) for a in same_day for cls in a.classes
        for cat, value in a.values.items()}
    before_entries = dict(entries)
    for row in typed.rows:
        for cls in row.classes:
            for cat, value in row.values.items():
                r = next((i for i, old in enumerate(existing.rows)
                          if cls in old.classes and cat in old.values), None)
                if r is None:
                    issues.append(_issue(file, "", f"{cls} × {cat}", f"table {existing.id} has "
                                         "no such cell to amend; an amendment changes a figure "
                                         "the table sets"))
                    continue
                earlier = existing.cell_at(r, cls, cat, before(start))[0]
                if value == earlier:
                    entries.pop((cls, cat), None)  # typed back: no amendment on this date
                elif value is None:
                    issues.append(_issue(file, "", f"{cls} × {cat}", "an amendment sets a ratio "
                                         "or bands, not unset"))
                elif entries.get((cls, cat), (None,))[0] != value:
                    entries[(cls, cat)] = (value, citation)  # type: ignore[assignment]
    if issues:
        return None, issues
    if entries == before_entries:
        return existing, []
    others = [a for a in existing.amendments if a.first_day != day]
    groups: dict[tuple[str, tuple[tuple[str, Any], ...]], list[str]] = {}
    by_class: dict[tuple[str, str], dict[str, Cell]] = {}
    cites: dict[str, Citation] = {}
    for (cls, cat), (value, cite) in entries.items():
        key = cite.model_dump_json()
        cites[key] = cite
        by_class.setdefault((key, cls), {})[cat] = value
    for (key, cls), values in by_class.items():
        groups.setdefault((key, tuple(values.items())), []).append(cls)
    made = [Amendment.model_validate({"from": start, "classes": classes, "values": dict(values),
                                      "citation": cites[key]})
            for (key, values), classes in groups.items()]
    amendments = sorted([*others, *made], key=lambda a: a.first_day)  # stable: order kept
    return existing.model_copy(update={"amendments": tuple(amendments)}), []
