"""What ``rrr rules check`` finds in a pack, as data: one :class:`Issue` per problem or note.

An issue has a severity (``error`` fails the check, ``warning`` and ``note`` inform), a code
naming the kind of problem, the place (``file:line: key``) and a message in words a
compliance officer reads. Analyses build issues through a :class:`Locator`, which knows the
line of every key of every rule file; the cells an issue is about travel with it as data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rrr_engine.rules.spans import Span
from rrr_engine.rules.yamlsrc import SourceDoc

__all__ = ["Issue", "Locator", "Span", "counted", "rectangles"]

SEVERITIES = ("error", "warning", "note")


@dataclass
class Issue:
    severity: str
    code: str
    file: str | None
    line: int | str | None  # a line, or in a spreadsheet the cell (``Sheet!B3``)
    key: str
    message: str
    cells: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.line) if p not in (None, ""))
        head = f"{where}: " if where else ""
        tag = "" if self.severity == "error" else f"{self.severity}: "
        return f"{head}{self.key}: {tag}{self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "code": self.code, "file": self.file,
                "line": self.line, "key": self.key, "message": self.message,
                "cells": self.cells}


class Locator:
    """``file`` and ``line`` of a path inside a pack section, from the parsed documents."""

    def __init__(self, docs: dict[str, SourceDoc], base: Path | None = None) -> None:
        self.docs = docs
        self.base = base

    def file(self, section: str) -> str | None:
        doc = self.docs.get(section)
        return doc.file if doc else None

    def line(self, section: str, *path: Any) -> int | None:
        doc = self.docs.get(section)
        return doc.line_of((section, *path)) if doc else None

    def where(self, section: str, *path: Any) -> str:
        """``file:line`` for messages that point at a second place."""
        line = self.line(section, *path)
        name = Path(self.file(section) or "?").name
        return f"{name}:{line}" if line else name

    def issue(self, severity: str, code: str, section: str, path: Sequence[Any], key: str,
              message: str, cells: Iterable[dict[str, Any]] = ()) -> Issue:
        return Issue(severity, code, self.file(section), self.line(section, *path), key,
                     message, list(cells))


def counted(count: int, noun: str) -> str:
    """``1 error``, ``2 warnings``, ``3 categories``."""
    if noun.endswith("y"):
        plural = noun[:-1] + "ies"
    else:
        plural = noun + ("es" if noun.endswith("s") else "s")
    return f"{count} {noun if count == 1 else plural}"


def _phrase(chosen: Sequence[str], every: Sequence[str], singular: str, plural: str) -> str:
    if list(chosen) == list(every) and len(every) > 1:
        return f"all {plural}"
    return f"{singular if len(chosen) == 1 else plural} {', '.join(chosen)}"


def rectangles(cells: Iterable[tuple[str, str]], classes: Sequence[str],
               categories: Sequence[str]) -> list[str]:
    """Class × category cells as few ``classes × categories`` phrases as grouping allows."""
    by_class: dict[str, set[str]] = {}
    for cls, cat in cells:
        by_class.setdefault(cls, set()).add(cat)
    groups: dict[tuple[str, ...], list[str]] = {}
    for cls in classes:
        if cls in by_class:
            cats = tuple(c for c in categories if c in by_class[cls])
            groups.setdefault(cats, []).append(cls)
    return [f"{_phrase(members, classes, 'class', 'classes')} × "
            f"{_phrase(cats, categories, 'category', 'categories')}"
            for cats, members in groups.items()]
