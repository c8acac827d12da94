"""The names a rule pack's rules use, checked on the raw YAML so every mistake is reported.

Part of the pack reader (:mod:`rrr_engine.rules.reader`), which validates each rule on its own:
a rule that fails validation is still checked here for the classes, categories, statuses,
events and attributes it names, for a duplicate id and for a placeholder citation (``TODO``),
so one reading lists them all.
"""

from __future__ import annotations

import re
from typing import Any

from rrr_engine.rules.model import PackHeader, StatusDef

__all__ = ["Names"]

_PLACEHOLDER = re.compile(r"^\s*(todo|tbd|tbc|fixme|xxx|n/?a|none|unknown|\?+|-+)\s*$", re.I)


class Names:
    """Every class, category, status, event, attribute and rule id a rule names exists once."""

    def __init__(self, c: Any, header: PackHeader | None, statuses: set[str]) -> None:
        self.c, self.header, self.statuses = c, header, statuses
        self.ids: dict[str, str] = {}
        # the decimal institution attributes the pack declares, which a when: may compare
        self.attributes = {n for n, a in (header.attributes if header else {}).items()
                           if a.type == "decimal"}

    def _fail(self, section: str, path: tuple[Any, ...], problem: str,
              code: str = "schema") -> None:
        self.c.add(self.c.docs[section], (section, *path), ".".join(map(str, (section, *path))),
                    problem, code)

    def _known(self, section: str, path: tuple[Any, ...], kind: str, names: Any,
               allowed: Any) -> None:
        for name in names or ():
            if name not in allowed:
                self._fail(section, path, f"unknown {kind} {name!r}; declared: "
                           f"{', '.join(sorted(allowed))}")

    def status_events(self, name: str, status: StatusDef) -> None:
        for edge_name in ("starts", "ends"):
            edge = getattr(status, edge_name)
            for event in (edge.event if edge else ()):
                if self.header and self.header.events and event not in self.header.events:
                    # a pack declaring no events may still name them: no institution can
                    # carry one, so `rrr rules check` reports the status as unreachable
                    self._fail("statuses", (name, edge_name, "event"), f"unknown event {event!r}; "
                               f"declared (pack.events): {', '.join(self.header.events)}")

    def rule(self, section: str, index: int, body: Any) -> None:
        """Check the names in one rule's raw data, so that a rule that failed validation is
        checked too."""
        if not isinstance(body, dict):
            return
        h = self.header
        if section != "not_covered":
            rule_id = body.get("id")
            if isinstance(rule_id, str) and rule_id in self.ids:
                self._fail(section, (index, "id"),
                           f"duplicate rule id {rule_id!r} (also in {self.ids[rule_id]})")
            elif isinstance(rule_id, str):
                self.ids[rule_id] = section
            citation = body.get("citation")
            for part in ("document", "article"):
                text = citation.get(part) if isinstance(citation, dict) else None
                if isinstance(text, str) and text and (not text.strip()
                                                       or _PLACEHOLDER.match(text)):
                    self._fail(section, (index, "citation", part),
                               f"citation {part} {text!r} is a placeholder; cite the law",
                               code="citation")
            amended = citation.get("amended_by") if isinstance(citation, dict) else None
            for n, text in enumerate(amended if isinstance(amended, list) else []):
                if isinstance(text, str) and _PLACEHOLDER.match(text):
                    self._fail(section, (index, "citation", "amended_by", n),
                               f"citation amended_by {text!r} is a placeholder; name the "
                               "amending document", code="citation")
        if h is None:
            return
        classes, categories = set(h.classes), set(h.categories)
        when = body.get("when")
        if isinstance(when, dict):
            for key, kind, allowed in (("classes", "class", classes),
                                       ("categories", "category", categories),
                                       ("status", "status", self.statuses),
                                       ("not_status", "status", self.statuses)):
                self._known(section, (index, "when", key), kind, _listed(when.get(key)), allowed)
            for attr in when.get("attributes") or {}:
                if attr not in self.attributes:
                    self._fail(section, (index, "when", "attributes", attr),
                               "unknown attribute; the pack declares (pack.attributes, type "
                               f"decimal): {', '.join(sorted(self.attributes)) or 'none'}")
        for r, row in enumerate(body.get("rows") or ()):
            if isinstance(row, dict):
                self._known(section, (index, "rows", r, "classes"), "class",
                            _listed(row.get("classes")), classes)
                for cat in row.get("values") or {}:
                    self._known(section, (index, "rows", r, "values", cat), "category", (cat,),
                                categories)
        if section == "not_covered":
            self._known(section, (index, "classes"), "class", _listed(body.get("classes")), classes)
            self._known(section, (index, "categories"), "category",
                        _listed(body.get("categories")), categories)


def _listed(value: Any) -> list[Any]:
    return [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []
