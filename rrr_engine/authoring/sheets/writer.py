"""Writing one ratio table back into a pack's YAML, leaving everything else as it was.

A rule file is reviewed by people, so it is edited in place: the block of the table being
replaced (from its ``- id:`` line to its last line, comments above it kept) is swapped for a
freshly rendered block in the layout the table already had (flow or block ``citation`` and
``values``, quoted or plain dates; a tiered cell as a list of bands), so a changed cell changes
its own lines; every other line, comment and section stays byte for byte. A table with a new
id is appended after the last table, in that table's layout. Rendering a table that is already
in the file gives back its text, so an unchanged import changes nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from rrr_engine.money import dec_str
from rrr_engine.rules.model import RatioRow, RatioTable
from rrr_engine.safe_files import write_text

__all__ = ["Layout", "layout_of", "render_table", "table_span", "with_table", "write_atomically"]

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_RESERVED = {"null", "true", "false", "yes", "no", "on", "off", "y", "n", "~"}


def _scalar(text: str) -> str:
    """An id or class name bare when YAML reads it back as the same string, else quoted."""
    if _PLAIN.match(text) and text.lower() not in _RESERVED:
        return text
    return _quoted(text)


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


@dataclass(frozen=True)
class Layout:
    """How a table is written: the default is the Vietnam pack's (all flow, quoted months)."""

    quote_dates: bool = True
    citation_block: bool = False
    values_block: bool = False


def _cell(value: object) -> str:
    return "null" if value is None else _quoted(dec_str(value))  # type: ignore[arg-type]


def _row(row: RatioRow, categories: list[str], inner: str, layout: Layout) -> list[str]:
    lines = [f"{inner}  - classes: [{', '.join(_scalar(x) for x in row.classes)}]"]
    order = [cat for cat in categories if cat in row.values] + [
        cat for cat in row.values if cat not in categories]
    if layout.values_block or any(isinstance(row.values[c], tuple) for c in order):
        lines.append(f"{inner}    values:")
        for cat in order:
            cell = row.values[cat]
            if not isinstance(cell, tuple):
                lines.append(f"{inner}      {_scalar(cat)}: {_cell(cell)}")
                continue
            lines.append(f"{inner}      {_scalar(cat)}:")
            for band in cell:
                upto = "" if band.upto is None else f"upto: {_cell(band.upto)}, "
                lines.append(f"{inner}        - {{{upto}ratio: {_cell(band.ratio)}}}")
    else:
        cells = ", ".join(f"{_scalar(cat)}: {_cell(row.values[cat])}" for cat in order)
        lines.append(f"{inner}    values: {{{cells}}}")
    if row.unset_reason is not None:
        lines.append(f"{inner}    unset_reason: {_quoted(row.unset_reason)}")
    return lines


def render_table(table: RatioTable, categories: list[str], indent: int = 2,
                 layout: Layout = Layout()) -> list[str]:
    """The table as YAML lines (no trailing newline), as a list item indented by ``indent``."""
    pad = " " * indent
    inner = pad + "  "
    lines = [f"{pad}- id: {_scalar(table.id)}"]
    if table.title:
        lines.append(f"{inner}title: {_quoted(table.title)}")
    date = (lambda v: f'"{v}"') if layout.quote_dates else str  # noqa: E731
    eff = f"from: {date(table.effective.from_)}"
    if table.effective.to is not None:
        eff += f", to: {date(table.effective.to)}"
    lines.append(f"{inner}effective: {{{eff}}}")
    c = table.citation
    amended = f"[{', '.join(_quoted(d) for d in c.amended_by)}]" if c.amended_by else None
    parts = [("document", _quoted(c.document)), ("article", _quoted(c.article)),
             ("clause", c.clause and _quoted(c.clause)), ("amended_by", amended),
             ("note", c.note and _quoted(c.note))]
    if layout.citation_block:
        lines.append(f"{inner}citation:")
        lines += [f"{inner}  {k}: {v}" for k, v in parts if v is not None]
    else:
        # document, article and clause on the first line; amended_by and note on their own
        first = f"{inner}citation: {{" + ", ".join(f"{k}: {v}" for k, v in parts[:3]
                                                    if v is not None)
        more = [f"{k}: {v}" for k, v in parts[3:] if v is not None]
        pad = " " * (len(inner) + len("citation: {"))
        lines += [first + ("," if more else "}")]
        lines += [pad + m + ("," if i < len(more) - 1 else "}") for i, m in enumerate(more)]
    lines.append(f"{inner}rows:")
    for row in table.rows:
        lines += _row(row, categories, inner, layout)
    return lines


def _field(item: yaml.Node, name: str) -> yaml.Node | None:
    return next((v for k, v in getattr(item, "value", []) if getattr(k, "value", None) == name),
                None)


def _item_layout(item: yaml.Node) -> Layout:
    effective, citation, rows = (_field(item, n) for n in ("effective", "citation", "rows"))
    start = _field(effective, "from") if effective is not None else None
    values = None
    if isinstance(rows, yaml.SequenceNode) and rows.value:
        values = _field(rows.value[0], "values")
    return Layout(
        quote_dates=start is None or getattr(start, "style", None) in ('"', "'"),
        citation_block=isinstance(citation, yaml.MappingNode) and not citation.flow_style,
        values_block=isinstance(values, yaml.MappingNode) and not values.flow_style)


def layout_of(text: str, table_id: str | None = None) -> Layout:
    """The layout of table ``table_id`` in ``text`` (of the last table when it has none)."""
    seq = _ratios_node(yaml.compose(text, Loader=yaml.SafeLoader))
    if seq is None or not seq.value:
        return Layout()
    for item in seq.value:
        found = _field(item, "id")
        if found is not None and str(found.value) == table_id:
            return _item_layout(item)
    return _item_layout(seq.value[-1])


def table_span(text: str, table_id: str) -> tuple[int, int, int] | None:
    """(first line, end line exclusive, indent) of table ``table_id``'s block, 0-based.

    The block ends at its last line of content: blank lines and comments before the next item
    belong to that item. ``None`` when the file has no such table.
    """
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    seq = _ratios_node(root)
    if seq is None:
        return None
    lines = text.splitlines()
    for i, item in enumerate(seq.value):
        ids = [v.value for k, v in getattr(item, "value", []) if getattr(k, "value", None) == "id"]
        if ids and str(ids[0]) == table_id:
            start = item.start_mark.line
            end = seq.value[i + 1].start_mark.line if i + 1 < len(seq.value) else seq.end_mark.line
            end = min(end, len(lines))
            while end > start + 1 and (not lines[end - 1].strip()
                                       or lines[end - 1].lstrip().startswith("#")):
                end -= 1
            return start, end, item.start_mark.column - 2
    return None


def _ratios_node(root: yaml.Node | None) -> yaml.SequenceNode | None:
    if not isinstance(root, yaml.MappingNode):
        return None
    for key, value in root.value:
        if key.value == "ratios" and isinstance(value, yaml.SequenceNode):
            return value
    return None


def with_table(text: str, table: RatioTable, categories: list[str]) -> str:
    """``text`` (a rule file with a ``ratios:`` list) with ``table`` replaced or appended."""
    lines = text.splitlines()
    span = table_span(text, table.id)
    layout = layout_of(text, table.id)
    if span is not None:
        start, end, indent = span
        lines[start:end] = render_table(table, categories, indent, layout)
    else:
        seq = _ratios_node(yaml.compose(text, Loader=yaml.SafeLoader))
        if seq is None or not seq.value:
            raise ValueError("the file has no ratios: list to add the table to")
        _, end, indent = table_span(text, _last_id(seq.value[-1])) or (0, len(lines), 2)
        lines[end:end] = ["", *render_table(table, categories, indent, layout)]
    return "\n".join(lines) + "\n"


def _last_id(item: yaml.Node) -> str:
    return next(str(v.value) for k, v in item.value if k.value == "id")


def write_atomically(path: Path, text: str) -> None:
    """Replace the rule file ``path`` by ``text`` at once, keeping the file's own mode."""
    write_text(path, text, keep_mode=True, what="rule file")
