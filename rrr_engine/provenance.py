"""What a report was written under: the pack, its approval, the run and the audit-log head.

Every report file carries one :class:`Provenance` (:mod:`rrr_engine.reports.period` says how each
format carries it), so a figure found in a spreadsheet months later leads back to the rules
that produced it, whether they were approved, the run manifest (``rrr_runs``) and the point
of the hash-chained audit log (``rrr audit verify --head``) that the report reflects.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from rrr_engine import __version__
from rrr_engine.sheet_safety import inert

__all__ = ["Provenance"]


@dataclass(frozen=True)
class Provenance:
    """The field names are the CSV column names; empty where a report has no such thing (a
    query such as ``rrr restatements --csv`` is no run and names no single pack)."""

    pack_id: str
    pack_version: str  # the pack's label, e.g. 2025.10
    pack_sha256: str
    pack_approval: str  # approved | superseded | proposed | rejected | unreviewed | unrecorded
    run_id: str
    audit_head: str  # SEQ:HASH, as rrr audit verify prints it and --head takes it
    engine_version: str = __version__

    @classmethod
    def of(cls, pack: Any, *, run_id: str, approval: str, audit_head: str) -> Provenance:
        return cls(pack.id, pack.header.label, pack.sha256, approval, run_id, audit_head)

    def items(self) -> list[tuple[str, str]]:
        return [(f.name, getattr(self, f.name)) for f in dataclasses.fields(self)]

    def columns(self) -> tuple[list[str], list[str]]:
        """(CSV header cells, CSV cells) to append to every row of a report."""
        return [k for k, _ in self.items()], [inert(v) for _, v in self.items()]

    def lines(self) -> tuple[str, str]:
        """Two lines for a chart's footer or a document description."""
        return (f"pack {self.pack_id} {self.pack_version} ({self.pack_approval}) sha256 "
                f"{self.pack_sha256}",
                f"run {self.run_id} - audit head {self.audit_head} - rrr-engine "
                f"{self.engine_version}")
