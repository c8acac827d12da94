"""Copies of the Vietnam pack whose 2025-10 ratio table carries ``amendments:`` (tests only;
the decision numbers are placeholders of the test, not law)."""

from __future__ import annotations

import shutil
from pathlib import Path

from clirun import VN_PACK

TABLE = "d1158-2977-2025"
# the last row of the 2025-10 table; the amendments go right after it
LAST_ROW = ('      - classes: [other_ci]\n        values: {vnd_short: "0.03", vnd_long: "0.01", '
            'fx_overseas_ci: "0.01", fx_short: "0.08", fx_long: "0.06"}\n\n# Ranges')
FOUR_PERCENT = """\
      - from: "2026-01"
        classes: [other_ci]
        values: {vnd_short: "0.04"}
        citation: {document: "Decision 100/QĐ-NHNN (2025)", article: "1", clause: "2"}
"""
FIVE_PERCENT = """\
      - from: "2026-07"
        classes: [other_ci, agribank]
        values: {vnd_short: "0.05"}
        citation: {document: "Decision 200/QĐ-NHNN (2026)", article: "1"}
"""
CITED_100 = "Decision 100/QĐ-NHNN (2025), Art. 1(2)"
CITED_1158 = ("Decision 1158/QĐ-NHNN of 29/5/2018, Art. 1, as amended by Decision "
              "2977/QĐ-NHNN (2025)")


def amended(folder: Path, *entries: str) -> Path:
    """A copy of the Vietnam pack in ``folder`` with ``entries`` as the 2025-10 table's
    amendments."""
    shutil.copytree(VN_PACK, folder)
    ratios = folder / "ratios.yaml"
    body = ratios.read_text(encoding="utf-8")
    assert body.count(LAST_ROW) == 1
    block = "    amendments:\n" + "".join(entries)
    ratios.write_text(body.replace(LAST_ROW, LAST_ROW[:-len("\n# Ranges")] + block
                                   + "\n# Ranges"), encoding="utf-8")
    return folder


def line_of(folder: Path, text: str) -> int:
    """1-based line of the first line of ratios.yaml that contains ``text``."""
    lines = (folder / "ratios.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)
