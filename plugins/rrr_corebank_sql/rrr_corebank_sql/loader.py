"""Reading a mapping file: YAML to :class:`~rrr_corebank_sql.mapping.Mapping`, with lines.

It owns turning every problem in the file (YAML syntax, a duplicate key, a pydantic error, a
cross-section check) into one :class:`rrr_engine.errors.InputError` reading ``file:line: key:
problem``. The file is read and composed by :mod:`rrr_engine.rules.yamlsrc`, the engine's bounded
reader (regular files only, size, depth and alias limits, duplicate keys refused with both lines),
exactly as rule packs and institutions files are. The YAML node tree (``compose``) keeps each key's
position, so a pydantic error location such as ``('classification', 3, 'currency')`` is walked down
that tree to the line the person editing the file must look at.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from rrr_engine.errors import InputError
from rrr_engine.rules.yamlsrc import MAX_BYTES, compose_text
from rrr_engine.safe_read import read_text

from .mapping import Mapping

__all__ = ["load_mapping", "parse_mapping"]

Loc = tuple[str | int, ...]


def load_mapping(path: str | Path, *, categories: Sequence[str] | None = None) -> Mapping:
    """Read and validate the mapping file at ``path``; raise ``InputError`` with its line.

    :param categories: the rule pack's categories, which every rule's ``category`` must be
        one of (unchecked when ``None``).
    """
    path = Path(path)
    text, _ = read_text(path, limit=MAX_BYTES, what="mapping file")
    return parse_mapping(text, file=str(path), categories=categories)


def parse_mapping(text: str, *, file: str = "<mapping>",
                  categories: Sequence[str] | None = None) -> Mapping:
    """Validate mapping YAML given as text; ``file`` is only used in messages."""
    node, data = compose_text(text, file=file, error=InputError, dotted=_dotted)
    if node is None:
        raise InputError("the mapping file is empty", file=file, line=1)
    if not isinstance(data, dict):
        raise InputError("the mapping file must be a YAML mapping (key: value)", file=file, line=1)
    try:
        mapping = Mapping.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = tuple(first["loc"])
        more = len(err.errors()) - 1
        problem = _explain(first, loc) + (f" (and {more} more problem{'s' * (more > 1)})"
                                          if more else "")
        raise InputError(problem, file=file, line=_line(node, loc),
                         field=_dotted(loc)) from err
    problems = mapping.problems()
    if categories is not None:
        problems += mapping.category_problems(categories)
    if problems:
        loc, message = problems[0]
        more = len(problems) - 1
        message += f" (and {more} more problem{'s' * (more > 1)})" if more else ""
        raise InputError(message, file=file, line=_line(node, loc), field=_dotted(loc))
    return mapping


def _line(node: yaml.Node, loc: Loc) -> int:
    """Line (1-based) of the deepest node ``loc`` reaches; pydantic's own loc parts
    (union branch names, validator tags) that are not keys of the file are skipped."""
    line = node.start_mark.line
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    # Stopping here points at the key, whose value may start lines later.
                    node, line = value, key.start_mark.line
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line
    return line + 1


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _explain(error: ErrorDetails, loc: Loc) -> str:
    """A message for people editing YAML, not for Python programmers."""
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown key{hint} (allowed here: {', '.join(allowed)})"
    if kind == "missing":
        return "required key is missing"
    if isinstance(error.get("input"), bool) and kind in ("string_type", "invalid_key"):
        # YAML 1.1 reads yes/no/on/off/true/false unquoted as booleans.
        return f"read as the boolean {error['input']}; put the text in quotes"
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", error.get("ctx", {}).get("expected", ""))
        close = difflib.get_close_matches(str(error.get("input")), choices, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"{error.get('input')!r} is not allowed here{hint} (one of: {', '.join(choices)})"
    message = error["msg"]
    return message.removeprefix("Value error, ")


def _allowed_keys(loc: Loc) -> list[str]:
    """Keys the model at ``loc`` accepts, following field annotations down from Mapping."""
    model: Any = Mapping
    for part in loc:
        if isinstance(part, int) or not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        field = next((f for n, f in model.model_fields.items() if (f.alias or n) == part), None)
        if field is None:
            return []
        model = _model_in(field.annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return sorted(f.alias or n for n, f in model.model_fields.items())
    return []


def _model_in(annotation: Any) -> Any:
    """The BaseModel inside ``X | None``, ``list[X]`` and the like, or None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
