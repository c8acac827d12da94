"""Files rrr-engine creates: written atomically beside their target, owner-only by default.

Every report, export, restatement CSV and rewritten rule file goes through
:func:`write_atomic`: the content is written to a fresh temporary file in the target's own
folder (``tempfile.mkstemp``: an unpredictable name, created with ``O_EXCL`` so an existing
file or a planted symlink is never opened), flushed to disk, given its permissions, and
renamed over the target (``os.replace``, which replaces a symlink at the target rather than
writing through it). A reader sees the old file or the new one, never half of one; a failure
leaves no temporary file behind.

Permissions: files are created ``0600`` and folders ``0700`` (owner only), because reports and
results databases hold a bank's figures. ``RRR_FILE_MODE`` (octal, e.g. ``0640``) sets another
file mode for everything rrr-engine creates; folders then get the same bits plus ``x`` wherever
``r`` is set (``0640`` gives ``0750``). Folders that already exist are never changed. A file
rewritten in place that belongs to someone's checkout (a pack's ``ratios.yaml``) keeps its own
mode (``keep_mode=True``).
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from rrr_engine.errors import InputError, ReportError

__all__ = ["FILE_MODE_ENV", "create_private", "dir_mode", "file_mode", "make_dirs",
           "write_atomic", "write_text"]

FILE_MODE_ENV = "RRR_FILE_MODE"
_DEFAULT_MODE = 0o600


def file_mode() -> int:
    """The mode of files rrr-engine creates: ``RRR_FILE_MODE`` or ``0600``."""
    raw = os.environ.get(FILE_MODE_ENV, "").strip()
    if not raw:
        return _DEFAULT_MODE
    try:
        mode = int(raw, 8)
    except ValueError:
        mode = -1
    # no execute, set-id or sticky bits; the owner must be able to read and rewrite its files
    if mode < 0 or mode & ~0o666 or mode & 0o600 != 0o600:
        raise InputError(f"{FILE_MODE_ENV}={raw!r}: expected an octal file mode with owner read "
                         "and write and no execute bits, e.g. 0600 (the default) or 0640",
                         field=FILE_MODE_ENV)
    return mode


def dir_mode() -> int:
    """The mode of folders rrr-engine creates: the file mode plus ``x`` wherever ``r`` is set."""
    mode = file_mode()
    return mode | ((mode & 0o444) >> 2)


def make_dirs(folder: Path) -> None:
    """Create ``folder`` and its missing parents with :func:`dir_mode` (umask aside)."""
    folder = Path(folder)
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    mode = dir_mode()
    for one in reversed(missing):
        try:
            one.mkdir()
        except FileExistsError:
            continue  # created meanwhile by another process: not ours to change
        os.chmod(one, mode)  # mkdir's mode is filtered by the umask; this one is configured


def create_private(path: Path) -> bool:
    """Create the empty file ``path`` with :func:`file_mode` unless it exists; True if created.

    For files another library fills (a SQLite database): SQLite gives its ``-journal`` and
    ``-wal`` files the database file's own mode.
    """
    path = Path(path)
    make_dirs(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                     0o600)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, file_mode())
    finally:
        os.close(fd)
    return True


def write_atomic(path: Path, write: Callable[[BinaryIO], object], *, keep_mode: bool = False,
                 what: str = "report") -> Path:
    """Call ``write(handle)`` on a new temporary file beside ``path``, then rename it to ``path``.

    :param write: writes the content to the open binary file it is given.
    :param keep_mode: give the new file the mode of the file it replaces, if there is one.
    :param what: names the file in the one-line error (``cannot write report PATH: ...``).
    """
    path = Path(path)
    mode = file_mode()
    tmp: str | None = None
    try:
        make_dirs(path.parent)
        if keep_mode and path.exists():
            mode = stat.S_IMODE(path.stat().st_mode)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w+b") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), mode)
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass  # already renamed, or the folder itself is unusable
        if isinstance(exc, OSError):
            raise ReportError(f"cannot write {what} {path}: {exc.strerror or exc}",
                              path=str(path)) from None
        raise
    return path


def write_text(path: Path, text: str, *, bom: bool = False, keep_mode: bool = False,
               what: str = "report") -> Path:
    """:func:`write_atomic` for text, UTF-8 (with a byte-order mark if ``bom``: Excel needs it)."""
    data = text.encode("utf-8-sig" if bom else "utf-8")
    return write_atomic(path, lambda handle: handle.write(data), keep_mode=keep_mode, what=what)
