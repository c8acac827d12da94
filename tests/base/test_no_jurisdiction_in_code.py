"""The engine's code names no jurisdiction: Vietnam's categories, classes, events, currency and
form are the vn-sbv pack's data (rulesets/vn-sbv/pack.yaml), not Python.

Comments and docstrings may mention them as an example; code may not. The one exception is the
frozen schema history: step 1 of rrr_engine/store/migrations.py created the FX rate column
under its first name, and step 4 renames it, so both must spell that old name.
"""

import ast
import io
import re
import tokenize
from pathlib import Path

import rrr_engine

ROOT = Path(rrr_engine.__file__).parent

# Vietnam's category, class, event, currency and form names, and its FX column
VIETNAMESE = re.compile(
    r"vnd_short|vnd_long|fx_overseas_ci|fx_short|fx_long|special_control|dissolution|"
    r"licence_revoked|agribank|coop_bank|dtbb001|\bVND\b|vnd_per_unit|proposed_vnd|"
    r"agri_lending|commenced_operations", re.IGNORECASE)

# (module, word): historic names a frozen migration step must spell
FROZEN = {("store/migrations.py", "vnd_per_unit")}


def code_lines(path: Path) -> list[tuple[int, str]]:
    """The module's lines with comments and docstrings blanked out."""
    source = path.read_text(encoding="utf-8")
    prose: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            prose.update(range(body[0].lineno, body[0].end_lineno + 1))
    lines = source.splitlines()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            row, col = tok.start
            lines[row - 1] = lines[row - 1][:col]
    return [(n, text) for n, text in enumerate(lines, start=1) if n not in prose]


def test_no_vietnamese_name_in_the_engines_code():
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        module = path.relative_to(ROOT).as_posix()
        for n, text in code_lines(path):
            for match in VIETNAMESE.finditer(text):
                if (module, match.group(0).lower()) not in FROZEN:
                    found.append(f"rrr_engine/{module}:{n}: {text.strip()}")
    assert found == []


def test_the_scan_sees_code_and_skips_prose(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('"""About vnd_short."""\n\n\ndef f():\n    """agribank."""\n'
                      '    return "vnd_long"  # fx_short\n')
    hits = [(n, m.group(0)) for n, text in code_lines(module)
            for m in VIETNAMESE.finditer(text)]
    assert hits == [(6, "vnd_long")]
