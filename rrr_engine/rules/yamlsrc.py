"""Safe, bounded YAML loading that keeps line numbers and never produces a binary float.

Rule files and host files are validated by pydantic; when a value is wrong the message must
name ``file:line: key``. PyYAML forgets positions after construction, so this loader records
the line of every mapping key and sequence item by its path, and
:func:`validation_error` maps a pydantic error location back to that line. YAML numbers are
read only in plain notation (``0.03`` becomes an exact ``Decimal``, ``1250000`` an int); an
exponent, ``_``, an octal or sexagesimal form is refused rather than guessed.

Every file is untrusted: it is read through :mod:`rrr_engine.safe_read` (regular files only,
at most :data:`MAX_BYTES`) and composed under limits, so that a hostile file is refused in
well under a second with one line instead of running until the machine is out of memory:
nesting deeper than :data:`MAX_DEPTH`, more than :data:`MAX_ALIASES` aliases, a document that
expands (aliases counted in full, as a reader of the data would walk them) to more than
:data:`MAX_NODES` values, a recursive alias, a NUL or lone surrogate in a value. A key that
appears twice in one mapping is refused naming both lines: PyYAML would silently keep the
last value, and a duplicated ratio would be evaluated at the wrong one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, Event
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from rrr_engine.errors import InputError, RuleFileError
from rrr_engine.notation import plain_decimal, shown
from rrr_engine.safe_read import MiB, read_text

__all__ = ["MAX_ALIASES", "MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "SourceDoc", "compose_text",
           "load_document", "parse_document", "parse_model", "validation_errors"]

Path_ = tuple[Any, ...]
M = TypeVar("M", bound=BaseModel)

# The largest real documents are institutions lists: 1,300 institutions (every credit
# institution in Viet Nam) are about 300 KB and 16,000 values. The limits leave six times that
# and keep a refused document under ~150 MiB of memory.
MAX_BYTES = 4 * MiB
MAX_NODES = 100_000
MAX_DEPTH = 50
MAX_ALIASES = 100
_MAX_INT_DIGITS = 30
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")
_PLAIN_INT = re.compile(r"[+-]?(?:0|[1-9][0-9]*)")

try:  # libyaml scans and parses in C; composing stays in Python, where the limits are
    from yaml._yaml import CParser as _Parser
    _C_PARSER = True
except ImportError:  # pragma: no cover - a PyYAML built without libyaml
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)

    _C_PARSER = False


class _Refused(Exception):
    """A document refused by a limit or a duplicate key: the problem and its line."""

    def __init__(self, problem: str, mark: Any = None, path: Path_ | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.line = mark.line + 1 if mark is not None else None
        self.path = path


class _Bounded(Composer):
    """PyYAML's composer with limits, counting what an alias expands to (memoised per node,
    so counting itself is linear in the file)."""

    if TYPE_CHECKING:  # provided by the parser and the constructor it is mixed with in _Loader
        def check_event(self, *choices: type[Event]) -> bool: ...
        def peek_event(self) -> Event: ...
        def construct_object(self, node: Node, deep: bool = False) -> Any: ...

    def _start_bounds(self) -> None:
        self._depth = 0
        self._aliases = 0
        self._nodes = 0
        self._sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (values, depth) once composed
        self._path: list[Any] = []  # keys and indexes down to the node being composed

    def _grow(self, values: int, depth: int, mark: Any) -> None:
        self._nodes += values
        if self._nodes > MAX_NODES:
            raise _Refused(f"the document holds more than {MAX_NODES} values (aliases "
                           "counted in full); refused as a possible alias bomb", mark)
        if self._depth + depth > MAX_DEPTH:
            raise _Refused(f"nested more than {MAX_DEPTH} levels deep", mark)

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(AliasEvent):
            mark = self.peek_event().start_mark
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Refused(f"more than {MAX_ALIASES} aliases (*name); refused as a "
                               "possible alias bomb", mark)
            node = super().compose_node(parent, index)
            if id(node) not in self._sizes:
                raise _Refused("an alias refers to the collection it is inside (a recursive "
                               "alias); write the value out", mark)
            values, depth = self._sizes[id(node)]
            self._grow(values, depth, mark)
            return node
        mark = self.peek_event().start_mark
        self._grow(1, 1, mark)
        self._depth += 1
        self._path.append(index.value if isinstance(index, ScalarNode) else index)
        node = super().compose_node(parent, index)
        self._sizes[id(node)] = self._measure(node)
        self._path.pop()
        self._depth -= 1
        return node

    def _where(self) -> Path_:
        return tuple(p for p in self._path if p is not None)

    def _measure(self, node: Any) -> tuple[int, int]:
        if isinstance(node, ScalarNode):
            if _NOT_TEXT.search(node.value):
                raise _Refused("a value contains a NUL character or a lone surrogate; "
                               "expected text", node.start_mark, self._where())
            if node.tag != _STR:  # constructed now, while the path is known
                try:
                    self.construct_object(node)
                except (ValueError, OverflowError) as exc:
                    raise _Refused(str(exc), node.start_mark, self._where()) from None
                except (KeyError, AttributeError, TypeError):  # PyYAML's own, on a bad !!tag
                    raise _Refused(f"{shown(node.value)} cannot be read as "
                                   f"{node.tag.rsplit(':', 1)[-1]}", node.start_mark,
                                   self._where()) from None
            return 1, 1
        children = [n for pair in node.value for n in pair] if isinstance(node, MappingNode) \
            else list(node.value)
        sizes = [self._sizes[id(n)] for n in children]
        return 1 + sum(s[0] for s in sizes), 1 + max((s[1] for s in sizes), default=0)

    def compose_mapping_node(self, anchor: Any) -> Any:
        node = super().compose_mapping_node(anchor)
        seen: dict[Any, int] = {}
        for key, _ in node.value:
            if not isinstance(key, ScalarNode):
                raise _Refused("a key must be a plain value, not a list or a mapping",
                               key.start_mark)
            if key.tag == "tag:yaml.org,2002:merge":
                continue
            # the constructed key, so that keys a dict would merge (0.03 and 0.030) collide here
            value = self.construct_object(key)
            line = key.start_mark.line + 1
            if value in seen:
                path = self._where() + (key.value,)
                raise _Refused(f"duplicate key (also on line {seen[value]}); YAML would keep only "
                               "the last value: remove one", key.start_mark, path=path)
            seen[value] = line
        return node


class _Constructor(SafeConstructor):
    """Numbers in plain notation only; a date such as 2025-02-30 is an error, not a crash."""

    def construct_yaml_timestamp(self, node: Any) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise ValueError(f"{shown(node.value)} is not a valid date ({exc})") from None


def _decimal(loader: SafeConstructor, node: ScalarNode) -> Decimal:
    text = loader.construct_scalar(node)
    try:
        return plain_decimal(text)
    except ValueError:
        raise ValueError(f"{shown(text)} is not a number in plain decimal notation such as "
                         "0.03; write it so, or quote it if it is text") from None


def _no_binary(loader: SafeConstructor, node: ScalarNode) -> bytes:
    raise ValueError("binary data (!!binary) has no place in these files; write text")


def _int(loader: SafeConstructor, node: ScalarNode) -> int:
    text = loader.construct_scalar(node)
    digits = text.lstrip("+-")
    if not _PLAIN_INT.fullmatch(text) or len(digits) > _MAX_INT_DIGITS:
        raise ValueError(f"{shown(text)} is not a whole number in plain decimal notation (at "
                         f"most {_MAX_INT_DIGITS} digits, no leading zero, '_', 0x or 0o); write "
                         "it so, or quote it if it is text")
    return int(text)


# types-PyYAML binds a constructor to PyYAML's own loader classes; ours is composed of their parts
_Constructor.add_constructor("tag:yaml.org,2002:float", _decimal)  # type: ignore[type-var]
_Constructor.add_constructor("tag:yaml.org,2002:int", _int)  # type: ignore[type-var]
_Constructor.add_constructor("tag:yaml.org,2002:timestamp",
                             _Constructor.construct_yaml_timestamp)  # type: ignore[type-var]
_Constructor.add_constructor("tag:yaml.org,2002:binary", _no_binary)  # type: ignore[type-var]
_STR = "tag:yaml.org,2002:str"


class _Loader(_Bounded, _Parser, _Constructor, Resolver):
    """libyaml's parser (or PyYAML's), the bounded composer, the plain-number constructor."""

    def __init__(self, stream: str) -> None:
        _Parser.__init__(self, stream)
        Composer.__init__(self)
        _Constructor.__init__(self)
        Resolver.__init__(self)
        self._start_bounds()

    # Composer's methods, not the C parser's own composer (which has no limits)
    get_single_node = Composer.get_single_node
    compose_document = Composer.compose_document
    check_node = Composer.check_node
    get_node = Composer.get_node


def _dotted(path: Path_) -> str:
    return ".".join(map(str, path))


def compose_text(text: str, *, file: str | Path, error: type[InputError] = RuleFileError,
                 dotted: Callable[[Path_], str] = _dotted) -> tuple[yaml.Node | None, Any]:
    """(node tree, data) of YAML ``text``, bounded; ``error`` with the line if refused.

    :param dotted: how a key's path is written in messages (``a.0.b`` by default).
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except _Refused as exc:
        raise error(exc.problem, file=file, line=exc.line,
                    field=None if exc.path is None else dotted(exc.path)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise error(f"invalid YAML: {exc.problem or exc.context}", file=file, line=line) from None
    except yaml.reader.ReaderError as exc:
        if _C_PARSER:  # libyaml's position counts bytes, PyYAML's characters
            line = text.encode("utf-8", "surrogatepass")[:exc.position].count(b"\n") + 1
        else:
            line = text[:exc.position].count("\n") + 1
        raise error(f"invalid YAML: {exc.reason} (character #x{exc.character:04x})", file=file,
                    line=line) from None
    except yaml.YAMLError as exc:
        raise error(f"invalid YAML: {str(exc).splitlines()[0]}", file=file) from None
    finally:
        loader.dispose()
    return node, data


class SourceDoc:
    """A parsed document with the line of each path, for error messages, and its raw bytes
    (the pack hashes exactly what was parsed)."""

    def __init__(self, data: Any, lines: dict[Path_, int], file: str, raw: bytes = b"") -> None:
        self.data = data
        self.lines = lines
        self.file = file
        self.raw = raw

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
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[path + (key,)] = key_node.start_mark.line + 1
            _walk(value_node, path + (key,), lines)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, path + (index,), lines)


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Refused("duplicate key in a JSON object; only one value may be given",
                           path=(key,))
        out[key] = value
    return out


def _json_number(text: str) -> Decimal:
    try:
        return plain_decimal(text)
    except ValueError:
        raise _Refused(f"the number {shown(text)} is not in plain decimal notation; write it "
                       "as a string such as \"0.03\"") from None


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise _Refused(f"the number {shown(text)} has more than {_MAX_INT_DIGITS} digits")
    return int(text)


def _json_constant(text: str) -> None:
    raise _Refused(f"{text} is not a number; write an exact decimal as a string such as \"0.03\"")


def _json_depth(data: Any) -> int:
    depth, level = 0, [data]
    while level:
        depth += 1
        level = [v for item in level if isinstance(item, (dict, list))
                 for v in (item.values() if isinstance(item, dict) else item)]
    return depth - 1


def _load_json(text: str, path: Path, error: type[InputError]) -> Any:
    try:
        data = json.loads(text, parse_float=_json_number, parse_int=_json_int,
                          parse_constant=_json_constant, object_pairs_hook=_json_pairs)
    except json.JSONDecodeError as exc:
        raise error(f"invalid JSON: {exc.msg}", file=path, line=exc.lineno) from None
    except _Refused as exc:
        raise error(exc.problem, file=path, field=None if exc.path is None else _dotted(exc.path)) \
            from None
    except RecursionError:
        raise error(f"nested more than {MAX_DEPTH} levels deep", file=path) from None
    if _json_depth(data) > MAX_DEPTH:
        raise error(f"nested more than {MAX_DEPTH} levels deep", file=path)
    return data


def load_document(path: str | Path, *, error: type[InputError] = RuleFileError) -> SourceDoc:
    """Read a YAML (or JSON) file with positions; raise ``error`` if malformed or refused."""
    path = Path(path)
    text, raw = read_text(path, limit=MAX_BYTES, error=error)
    return parse_document(path, text, raw, error=error)


def parse_document(path: Path, text: str, raw: bytes, *,
                   error: type[InputError] = RuleFileError) -> SourceDoc:
    """The document in ``text`` (already read from ``path``, whose bytes are ``raw``)."""
    if path.suffix.lower() == ".json":
        return SourceDoc(_load_json(text, path, error), {}, str(path), raw)
    node, data = compose_text(text, file=path, error=error)
    lines: dict[Path_, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return SourceDoc(data, lines, str(path), raw)


def validation_error(doc: SourceDoc, exc: ValidationError, *, prefix: Path_ = (),
                     error: type[InputError] = RuleFileError) -> InputError:
    """The first pydantic error of ``exc`` as a one-line ``file:line: key: problem``."""
    return validation_errors(doc, exc, prefix=prefix, error=error)[0]


def validation_errors(doc: SourceDoc, exc: ValidationError, *, prefix: Path_ = (),
                      error: type[InputError] = RuleFileError) -> list[InputError]:
    """Every pydantic error of ``exc``, each as a one-line ``file:line: key: problem``."""
    return [_one_error(doc, err, prefix, error) for err in exc.errors(include_url=False)]


def _one_error(doc: SourceDoc, err: ErrorDetails, prefix: Path_,
               error: type[InputError]) -> InputError:
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
    if data is None and doc.data is None:
        raise error("the file is empty (or holds only comments)", file=doc.file, line=1)
    try:
        return model.model_validate(doc.data if data is None else data)
    except ValidationError as exc:
        raise validation_error(doc, exc, prefix=prefix, error=error) from None
