"""Safe YAML loading that keeps line numbers and never produces a binary float.

Rule files and host files are validated by pydantic; when a value is wrong the message must
name ``file:line: key``. PyYAML forgets positions after construction, so this loader records
the line of every mapping key and sequence item by its path, and
:func:`validation_error` maps a pydantic error location back to that line. YAML numbers
with a fraction (``0.03``) are constructed as ``Decimal`` from their source text, so a ratio
written without quotes is still exact.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import InputError, RuleFileError

__all__ = ["SourceDoc", "load_document", "parse_model", "validation_errors"]

Path_ = tuple[Any, ...]
M = TypeVar("M", bound=BaseModel)


class _Loader(yaml.SafeLoader):
    """SafeLoader whose floats are Decimals (exact, from the source text)."""


def _decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal | float:
    text = loader.construct_scalar(node).replace("_", "")
    try:
        return Decimal(text)
    except InvalidOperation:  # .inf / .nan: keep YAML's meaning, the models reject them
        return yaml.SafeLoader.construct_yaml_float(loader, node)


_Loader.add_constructor("tag:yaml.org,2002:float", _decimal)


class SourceDoc:
    """A parsed document with the line of each path, for error messages."""

    def __init__(self, data: Any, lines: dict[Path_, int], file: str) -> None:
        self.data = data
        self.lines = lines
        self.file = file

    def line_of(self, path: Path_) -> int | None:
        """Line of ``path`` or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[path + (key,)] = key_node.start_mark.line + 1
            _walk(value_node, path + (key,), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, path + (index,), lines)


def load_document(path: str | Path, *, error: type[InputError] = RuleFileError) -> SourceDoc:
    """Read a YAML (or JSON, a YAML subset) file with positions; raise ``error`` if malformed."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error("file not found", file=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read file ({exc.__class__.__name__}: {exc})", file=path) from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise error(f"invalid JSON: {exc.msg}", file=path, line=exc.lineno) from None
        return SourceDoc(data, {}, str(path))
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise error(f"invalid YAML: {exc.problem or exc.context}", file=path, line=line) from None
    except yaml.YAMLError as exc:
        raise error(f"invalid YAML: {exc}", file=path) from None
    lines: dict[Path_, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return SourceDoc(data, lines, str(path))


def validation_error(doc: SourceDoc, exc: ValidationError, *, prefix: Path_ = (),
                     error: type[InputError] = RuleFileError) -> InputError:
    """The first pydantic error of ``exc`` as a one-line ``file:line: key: problem``."""
    return validation_errors(doc, exc, prefix=prefix, error=error)[0]


def validation_errors(doc: SourceDoc, exc: ValidationError, *, prefix: Path_ = (),
                      error: type[InputError] = RuleFileError) -> list[InputError]:
    """Every pydantic error of ``exc``, each as a one-line ``file:line: key: problem``."""
    return [_one_error(doc, err, prefix, error) for err in exc.errors(include_url=False)]


def _one_error(doc: SourceDoc, err: dict[str, Any], prefix: Path_, error: type[InputError]) -> InputError:
    loc = prefix + tuple(p for p in err["loc"] if not str(p).startswith("function-"))
    # pydantic appends union-member and validator names to loc; keep only real keys/indexes
    real = []
    probe: Any = doc.data
    for part in loc:
        if isinstance(probe, dict) and part in probe:
            probe = probe[part]
            real.append(part)
        elif isinstance(probe, list) and isinstance(part, int) and part < len(probe):
            probe = probe[part]
            real.append(part)
        elif err["type"] in ("missing", "extra_forbidden"):
            real.append(part)
            break
        else:
            break
    key = ".".join(str(p) for p in real) or "(document)"
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        msg = "unknown field (check the spelling; unknown fields are not allowed)"
    elif err["type"] == "missing":
        msg = "required field is missing"
    elif msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return error(msg, file=doc.file, line=doc.line_of(tuple(real)), field=key)


def parse_model(doc: SourceDoc, model: type[M], *, data: Any = None, prefix: Path_ = (),
                error: type[InputError] = RuleFileError) -> M:
    """Validate ``data`` (default: the whole document) as ``model``, errors with lines."""
    try:
        return model.model_validate(doc.data if data is None else data)
    except ValidationError as exc:
        raise validation_error(doc, exc, prefix=prefix, error=error) from None
