"""Reading a file that a user or a host names, without trusting what is there.

Every reader of untrusted text (rule packs, institutions, scenarios, mappings, CSVs, decision
tables) opens its file here. Only a regular file is read: a directory named ``x.yaml``, a
FIFO (which would block the run forever), a device such as ``/dev/zero`` (endless) or a
socket is refused, whatever a symbolic link points to. The file is opened non-blocking and
checked again on the open descriptor, so it cannot be swapped for a FIFO in between. A file
is read up to a size limit and decoded as strict UTF-8 (a byte-order mark is allowed); a
problem is one :class:`~rrr_engine.errors.InputError` naming the file, the line and what was
expected.
"""

from __future__ import annotations

import csv
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from rrr_engine.errors import InputError

__all__ = ["MiB", "csv_rows", "open_regular", "read_bytes", "read_text", "text_lines", "utf8"]

MiB = 1024 * 1024
_UTF16 = (b"\xff\xfe", b"\xfe\xff")


def _kind(mode: int) -> str | None:
    """What a non-regular file is, for the message; ``None`` for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device"
    if stat.S_ISSOCK(mode):
        return "is a socket"
    return "is a special file"


def _size(n: int) -> str:
    return f"{n / MiB:.1f} MiB" if n >= MiB else f"{n} bytes"


def open_regular(path: str | Path, *, limit: int, error: type[InputError] = InputError,
                 what: str = "file") -> BinaryIO:
    """Open ``path`` for reading in binary, refusing anything but a regular file of at most
    ``limit`` bytes."""
    try:
        before = os.stat(path)
    except FileNotFoundError:
        raise error("file not found", file=path) from None
    except OSError as exc:
        raise error(f"cannot read the {what}: {exc.strerror}", file=path) from None
    kind = _kind(before.st_mode)
    if kind:
        raise error(f"{kind}; expected a regular {what}", file=path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) \
        | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise error(f"cannot read the {what}: {exc.strerror}", file=path) from None
    try:
        now = os.fstat(fd)
        kind = _kind(now.st_mode)
        if kind:  # replaced between the two looks
            raise error(f"{kind}; expected a regular {what}", file=path)
        if now.st_size > limit:
            raise error(f"the {what} is {_size(now.st_size)}; the limit is {_size(limit)}",
                        file=path)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: str | Path, *, limit: int, error: type[InputError] = InputError,
               what: str = "file") -> bytes:
    """The whole content of a regular file of at most ``limit`` bytes."""
    with open_regular(path, limit=limit, error=error, what=what) as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise error(f"cannot read the {what}: {exc.strerror}", file=path) from None
    if len(data) > limit:  # it grew after the size was checked
        raise error(f"the {what} is larger than the limit of {_size(limit)}", file=path)
    return data


def utf8(data: bytes, *, file: str | Path, error: type[InputError] = InputError,
         first_line: int = 1) -> str:
    """``data`` (the file from line ``first_line`` on) decoded as strict UTF-8, a leading
    byte-order mark dropped; the error names the line of the first byte that is not UTF-8."""
    if first_line == 1 and data.startswith(_UTF16):
        raise error("the file is UTF-16 text; save it as UTF-8", file=file, line=1)
    try:
        return data.decode("utf-8-sig" if first_line == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        line = first_line + data.count(b"\n", 0, exc.start)
        raise error(f"not UTF-8 text (byte 0x{data[exc.start]:02X}); save the file as UTF-8",
                    file=file, line=line) from None


def read_text(path: str | Path, *, limit: int, error: type[InputError] = InputError,
              what: str = "file") -> tuple[str, bytes]:
    """(text, raw bytes) of a regular UTF-8 file of at most ``limit`` bytes."""
    data = read_bytes(path, limit=limit, error=error, what=what)
    return utf8(data, file=path, error=error), data


@contextmanager
def text_lines(path: str | Path, *, limit: int, max_line: int,
               error: type[InputError] = InputError, what: str = "file") -> Iterator[Iterator[str]]:
    """The lines of a regular UTF-8 file, each at most ``max_line`` bytes, read one at a time
    (memory stays bounded by one line), line endings kept as :mod:`csv` expects."""
    handle = open_regular(path, limit=limit, error=error, what=what)

    def lines() -> Iterator[str]:
        number, total = 0, 0
        while True:
            chunk = handle.readline(max_line + 1)
            if not chunk:
                return
            number += 1
            total += len(chunk)
            if total > limit:
                raise error(f"the {what} is larger than the limit of {_size(limit)}", file=path)
            if len(chunk) > max_line and not chunk.endswith(b"\n"):
                raise error(f"line longer than {max_line} bytes; expected one record per line",
                            file=path, line=number)
            text = utf8(chunk, file=path, error=error, first_line=number)
            if "\0" in text:
                raise error("contains a NUL byte; expected text", file=path, line=number)
            yield text

    with handle:
        yield lines()


_CSV_PROBLEMS = (
    ("field larger than field limit", "a field is longer than {limit} characters"),
    ("new-line character seen in unquoted field",
     "a line ends in a lone carriage return (CR); save the file with LF or CRLF line endings"),
    ("unexpected end of data", "a quoted field is not closed before the end of the file"),
)


@contextmanager
def csv_rows(path: str | Path, *, limit: int, max_line: int,
             error: type[InputError] = InputError,
             what: str = "CSV file") -> Iterator[Iterator[tuple[int, list[str]]]]:
    """(line, fields) of each record of a regular UTF-8 CSV file, bounded as
    :func:`text_lines`; quoting is strict, and :mod:`csv`'s own field limit (process-wide,
    never changed here) applies to quoted fields spanning lines."""
    with text_lines(path, limit=limit, max_line=max_line, error=error, what=what) as lines:
        reader = csv.reader(lines, strict=True)

        def records() -> Iterator[tuple[int, list[str]]]:
            try:
                for row in reader:
                    yield reader.line_num, row
            except csv.Error as exc:
                text = str(exc)
                problem = next((p.format(limit=csv.field_size_limit()) for start, p in _CSV_PROBLEMS
                                if text.startswith(start)), f"malformed CSV: {text}")
                raise error(problem, file=path, line=reader.line_num or 1) from None

        yield records()
