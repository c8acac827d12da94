"""Run the ``rrr`` CLI in-process and capture what a user would see."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from rrr_engine.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
VN_PACK = ROOT / "rulesets" / "vn-sbv"
FIXTURES = ROOT / "tests" / "fixtures"


def rrr(capsys: Any, *args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``rrr ARGS``."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def evaluate_json(capsys: Any, *args: str) -> dict[str, dict[str, Any]]:
    """``rrr evaluate --format json`` results keyed by institution id; fails on non-zero exit."""
    code, out, err = rrr(capsys, "evaluate", "--rules", VN_PACK, "--format", "json", *args)
    assert code == 0, err
    return {r["institution_id"]: r for r in json.loads(out)}


# a log line on stderr: stderr is not a terminal under pytest, so commands log as under cron
_LOG_LINE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z (DEBUG|INFO|WARNING|ERROR) ")


def printed(err: str) -> list[str]:
    """The lines of stderr a person reads (``rrr: error: ...``), without the log lines."""
    return [line for line in err.splitlines() if not _LOG_LINE.match(line)]


def errors(err: str) -> list[str]:
    """The ``rrr: error: ...`` lines of stderr."""
    return [line for line in printed(err) if line.startswith("rrr: error: ")]
