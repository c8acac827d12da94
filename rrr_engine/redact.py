"""Secrets in URLs and source options: read from the environment or a file, never shown.

A secret reaches rrr-engine in a database URL (``--db``, ``corebank_url``) or a source option
(``--source KEY=VALUE``). So that none is printed, logged or stored in the run log:

* :func:`mask_url` hides a URL's password, all of it: from the ``:`` after the user name to
  the last ``@`` before the host, so a password that itself contains ``@`` (or ``/``) is
  hidden whole; and the value of every query parameter whose name names a secret
  (``?password=``, ``?sslpassword=``, ``?token=``...).
* :func:`mask_option` hides the whole value of an option whose key names a secret
  (``password``, ``passwd``, ``pwd``, ``secret``, ``token``, ``key``, ``credential``,
  ``auth``: :func:`names_secret`), and masks URLs in any other value.
* :func:`resolve` reads a value given by reference: ``env:NAME`` is the environment variable
  ``NAME``; ``file:PATH`` is the content of the file ``PATH`` (one trailing newline dropped;
  at most 64 KiB). The run log keeps the reference, never what it resolved to, and an error
  about it names the variable or file, never its content.
* :func:`scrub` removes from a message every secret a command line carries (see
  :func:`secrets_in`), for the last line of defence: an error text built by a library
  (SQLAlchemy, a driver) that quotes a URL as given.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from rrr_engine.errors import InputError

__all__ = ["MASK", "mask_argv", "mask_option", "mask_options", "mask_url", "names_secret",
           "resolve", "resolve_options", "scrub", "secrets_in"]

MASK = "***"
_SECRET_WORDS = ("password", "passwd", "pwd", "secret", "token", "key", "credential", "auth")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
_HOST = re.compile(r"[\w.\-\[\]:%]*(?=[/?#]|$)")
_PARAM = re.compile(r"(?<=[?&;])(?P<name>[A-Za-z_][\w.\-%]*)=(?P<value>[^&;#]*)")
_MAX_SECRET_FILE = 64 * 1024


def names_secret(key: str) -> bool:
    """Whether an option or query parameter named ``key`` holds a secret."""
    folded = key.strip().lstrip("-").lower()
    return any(word in folded for word in _SECRET_WORDS)


def _split(url: str) -> tuple[str, str, str] | None:
    """(scheme://, user info, the rest) of ``url``; None if it is not a URL.

    The user info ends at the last ``@`` followed by something a host can be (name or
    address, optional port) up to ``/``, ``?``, ``#`` or the end: a password may contain
    ``@``, ``/`` or ``?`` unencoded, a host never contains ``@``. When a query value holds an
    ``@`` too, the split errs towards hiding more.
    """
    found = _SCHEME.search(url)
    if found is None:
        return None
    head, body = url[:found.end()], url[found.end():]
    for at in reversed([i for i, ch in enumerate(body) if ch == "@"]):
        if _HOST.match(body, at + 1):
            return head, body[:at], body[at:]
    return head, "", body


def _params(rest: str) -> list[re.Match[str]]:
    """The query parameters in ``rest`` whose name names a secret."""
    return [m for m in _PARAM.finditer(rest) if names_secret(unquote(m["name"]))]


def mask_url(url: str) -> str:
    """``url`` with its password and secret query values replaced by ``***``."""
    parts = _split(url)
    if parts is None:
        return url
    head, userinfo, rest = parts
    if ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":" + MASK
    for m in reversed(_params(rest)):
        rest = rest[:m.start("value")] + MASK + rest[m.end("value"):]
    return head + userinfo + rest


def mask_option(key: str, value: Any) -> str:
    """An option's value fit for a log: hidden if its key names a secret, URLs masked."""
    text = str(value)
    if _reference(text) is not None:
        return text  # env:NAME or file:PATH: the reference is not the secret
    if names_secret(key):
        return MASK
    return mask_url(text) if "://" in text else text


def mask_options(options: Mapping[str, Any]) -> dict[str, str]:
    return {key: mask_option(key, value) for key, value in options.items()}


def mask_argv(argv: Iterable[str]) -> list[str]:
    """A command line fit for a log: ``KEY=VALUE`` and ``--flag=VALUE`` masked by key, URLs
    anywhere masked, and the argument after a flag naming a secret hidden."""
    shown: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            shown.append(arg if _reference(arg) is not None else MASK)
            hide_next = False
            continue
        key, sep, value = arg.partition("=")
        if sep and "://" not in key and "/" not in key:
            shown.append(f"{key}={mask_option(key, value)}")
        elif arg.startswith("--") and names_secret(arg):
            shown.append(arg)
            hide_next = True
        else:
            shown.append(mask_url(arg) if "://" in arg else arg)
    return shown


def _reference(text: str) -> tuple[str, str] | None:
    if text.startswith("env:") and len(text) > 4:
        return "env", text[4:]
    if text.startswith("file:") and len(text) > 5 and not text.startswith("file://"):
        return "file", text[5:]
    return None


def resolve(value: Any, *, what: str = "value") -> Any:
    """``value``, or what ``env:NAME`` / ``file:PATH`` refers to; :class:`InputError` naming
    the variable or file (never its content) when it cannot be read."""
    if not isinstance(value, str):
        return value
    ref = _reference(value)
    if ref is None:
        return value
    kind, name = ref
    if kind == "env":
        if name not in os.environ:
            raise InputError(f"environment variable {name} is not set", field=what)
        return os.environ[name]
    path = Path(name).expanduser()
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{path} is not a regular file", field=what)
        if info.st_size > _MAX_SECRET_FILE:
            raise InputError(f"{path} is larger than {_MAX_SECRET_FILE // 1024} KiB: not a "
                             "secret file", field=what)
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}", field=what) from None
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text", field=what) from None
    return text[:-1] if text.endswith("\n") else text


def resolve_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` with every ``env:``/``file:`` reference replaced by what it refers to."""
    return {key: resolve(value, what=f"--source {key}") for key, value in options.items()}


def _url_secrets(text: str) -> list[str]:
    parts = _split(text)
    if parts is None:
        return []
    _, userinfo, rest = parts
    found = [userinfo.split(":", 1)[1]] if ":" in userinfo else []
    return found + [m["value"] for m in _params(rest)]


def secrets_in(argv: Iterable[str]) -> list[str]:
    """Every secret a command line carries, directly or through ``env:``/``file:``
    references that can be read now: passwords and secret query values in URLs, values of
    keys naming a secret. Longest first, so :func:`scrub` never leaves a secret's tail."""
    found: list[str] = []
    args = list(argv)
    for i, arg in enumerate(args):
        key, sep, value = arg.partition("=")
        if not sep or "://" in key:
            if arg.startswith("-"):
                continue  # a flag, not a value
            before = args[i - 1] if i else ""
            key, value = (before if before.startswith("--") and "=" not in before else ""), arg
        try:
            value = resolve(value)
        except InputError:
            continue
        value = str(value)
        if names_secret(key) and "://" not in value:
            found.append(value)
        for one in _url_secrets(value):
            found += [one, unquote(one)]
    return sorted({s for s in found if len(s) >= 3}, key=len, reverse=True)


def scrub(message: str, secrets: Iterable[str]) -> str:
    """``message`` with each of ``secrets`` replaced by ``***``."""
    for secret in secrets:
        message = message.replace(secret, MASK)
    return message
