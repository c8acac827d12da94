"""What the ``rrr`` command writes on stderr: log records, warnings, the final error.

Library modules log to loggers under ``rrr_engine`` (``rrr_engine.jobs.nightly``, ...) and never
configure logging; the CLI alone calls :func:`start` once per command and
:meth:`Console.close` when it ends. Three modes:

* ``terminal`` - stderr is a terminal and no ``--log-format`` was given: the progress bar,
  and no log lines unless ``--log-level`` asks for them (then no bar); warnings, notes and the
  error are printed as ``rrr: warning: ...`` lines.
* ``text`` - stderr is not a terminal (cron, systemd, a pipe), or ``--log-format text``: one
  line per record, ``2026-11-29T20:31:02Z INFO nightly 2025-10-01 requirement 2025-10: 3
  stored, 0 unchanged`` (UTC, level, logger without the ``rrr_engine.`` prefix, message),
  from level INFO unless ``--log-level`` says otherwise; no progress bar.
* ``json`` - ``--log-format json``: one JSON object per line (``time``, ``level``,
  ``logger``, ``message``, and the record's structured fields such as ``date``, ``stage``,
  ``period``), for log shippers. The final error is a record too, so every line of stderr
  parses.

Warnings are logged when they arise and, whatever the mode but ``json``, printed again as
``rrr: warning: ...`` lines when the command ends, whether it succeeded or failed. Every record
is scrubbed of the secrets the command line carries (:func:`rrr_engine.redact.scrub`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable
from typing import Any, TextIO

from rrr_engine.redact import scrub

__all__ = ["FORMATS", "LEVELS", "LOGGER", "Console", "start"]

LOGGER = "rrr_engine"
FORMATS = ("text", "json")
LEVELS = ("debug", "info", "warning", "error")
_PREFIX = LOGGER + "."


def _stamp(record: logging.LogRecord) -> str:
    moment = dt.datetime.fromtimestamp(record.created, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _name(record: logging.LogRecord) -> str:
    return record.name[len(_PREFIX):] if record.name.startswith(_PREFIX) else record.name


class _Text(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{_stamp(record)} {record.levelname} {_name(record)} {record.getMessage()}"


class _Json(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {"time": _stamp(record), "level": record.levelname,
                               "logger": _name(record), "message": record.getMessage()}
        out.update(getattr(record, "fields", None) or {})
        return json.dumps(out, ensure_ascii=False, default=str, sort_keys=False)


class _Scrub(logging.Filter):
    """Takes the command line's secrets out of every record before it is formatted."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = list(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg, record.args = scrub(record.getMessage(), self.secrets), ()
        return True


class _Collect(logging.Handler):
    """Keeps each distinct warning, to print them again when the command ends."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__(logging.WARNING)
        self.addFilter(_Scrub(secrets))
        self.seen: dict[str, None] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno < logging.ERROR:
            self.seen[record.getMessage()] = None


class Console:
    """One command's stderr. Use :func:`start`; :meth:`close` in a ``finally``."""

    def __init__(self, mode: str, stream: TextIO, level: int, secrets: list[str],
                 handler: logging.Handler | None) -> None:
        self.mode, self.stream, self.secrets = mode, stream, secrets
        self.handler = handler
        self.collect = _Collect(secrets)
        self.notes: dict[str, None] = {}
        self.logger = logging.getLogger(LOGGER)
        self._saved_level = self.logger.level
        self.logger.setLevel(min(level, logging.WARNING))
        for h in (handler, self.collect):
            if h is not None:
                self.logger.addHandler(h)

    @property
    def terminal(self) -> bool:
        """Whether stderr is a person's terminal without log lines: the place for a progress
        bar (``--log-level`` on a terminal prints log lines instead)."""
        return self.mode == "terminal" and self.handler is None

    def note(self, message: str) -> None:
        """A note for the person who ran the command, printed when it ends (not in json)."""
        self.notes[message] = None

    def error(self, message: str, *, label: str = "error") -> None:
        """The command's last word: ``rrr: LABEL: MESSAGE``, or one JSON record."""
        message = scrub(message, self.secrets)
        if self.mode == "json":
            self.logger.getChild("cli").error(f"{label}: {message}" if message else label)
        else:
            print(f"rrr: {label}: {message}" if message else f"rrr: {label}", file=self.stream)

    def close(self) -> None:
        """Print the warnings and notes of the command (not in json mode); detach."""
        try:
            if self.mode != "json":
                for message in self.collect.seen:
                    print(f"rrr: warning: {message}", file=self.stream)
                for message in self.notes:
                    print(f"rrr: note: {scrub(message, self.secrets)}", file=self.stream)
        finally:
            for h in (self.handler, self.collect):
                if h is not None:
                    self.logger.removeHandler(h)
            self.logger.setLevel(self._saved_level)


def start(*, log_format: str | None, log_level: str | None, stream: TextIO,
          secrets: Iterable[str] = ()) -> Console:
    """Attach the command's handler to the ``rrr_engine`` logger.

    :param log_format: ``text`` or ``json``; ``None`` chooses by whether ``stream`` is a
        terminal.
    :param log_level: ``debug`` ... ``error``; ``None``: INFO when logging, none on a terminal.
    :param secrets: texts never to show (:func:`rrr_engine.redact.secrets_in`).
    """
    hidden = list(secrets)
    isatty = getattr(stream, "isatty", lambda: False)()
    mode = log_format or ("terminal" if isatty else "text")
    level = getattr(logging, (log_level or "info").upper())
    handler: logging.Handler | None = None
    if mode != "terminal" or log_level is not None:
        handler = logging.StreamHandler(stream)
        handler.setLevel(level)
        handler.setFormatter(_Json() if mode == "json" else _Text())
        handler.addFilter(_Scrub(hidden))
    return Console(mode, stream, level, hidden, handler)
