"""The impact of a new pack version on stored results, for ``rrr rules diff --db``.

Every stored institution-period-stage (its latest version) is evaluated again with the new
pack from the stored snapshots (:mod:`rrr_engine.jobs.restored`), inside one read-only transaction,
and compared with what is stored: the institution-periods whose figures move, each figure
old → new, and the sums of the differences by stage, figure and currency and by stage,
category and currency. Stored results should have been made with the old pack; any that were
not are listed, since the movement is then measured against something else.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rrr_engine.engine import Engine
from rrr_engine.jobs.restored import Recomputed, recompute, targets
from rrr_engine.models import Institution
from rrr_engine.money import RoundingPolicy, dec_str, exact
from rrr_engine.rules.pack import RulePack
from rrr_engine.store.database import Storage
from rrr_engine.store.results import StoredResult

__all__ = ["Impact", "impact"]


@dataclass
class Impact:
    old: RulePack
    new: RulePack
    database: str
    evaluated: int = 0
    moved: list[Recomputed] = field(default_factory=list)
    not_evaluated: list[Recomputed] = field(default_factory=list)
    other_sha: list[StoredResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def totals(self) -> dict[tuple[str, str, str], Decimal]:
        """(stage, figure, currency) -> sum of the exact differences of institution totals."""
        out: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
        with exact():
            for r in self.moved:
                for m in r.moves:
                    if m.category == "total":
                        out[(r.stored.stage, m.figure, m.currency)] += m.difference
        return dict(sorted(out.items()))

    def by_category(self) -> dict[tuple[str, str, str], Decimal]:
        """(stage, category, reserve currency) -> sum of the exact differences of lines."""
        out: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
        with exact():
            for r in self.moved:
                for m in r.moves:
                    if m.category != "total":
                        out[(r.stored.stage, m.category, m.currency)] += m.difference
        return dict(sorted(out.items()))

    def to_dict(self) -> dict[str, Any]:
        def moves(r: Recomputed) -> list[dict[str, str]]:
            return [{"category": m.category, "currency": m.currency, "figure": m.figure,
                     "old": dec_str(m.old), "new": dec_str(m.new),
                     "difference": dec_str(m.difference)} for m in r.moves]

        return {
            "database": self.database, "evaluated": self.evaluated,
            "moved": [{"institution_id": r.stored.institution_id,
                       "period": r.stored.maintenance_period, "stage": r.stored.stage,
                       "stored_version": r.stored.result_version,
                       "stored_ruleset_sha256": r.stored.ruleset_sha256,
                       "status": None if r.status is None else list(r.status),
                       "moves": moves(r)} for r in self.moved],
            "totals": [{"stage": s, "figure": f, "currency": c, "difference": dec_str(v)}
                       for (s, f, c), v in self.totals().items()],
            "by_category": [{"stage": s, "category": cat, "currency": c,
                             "difference": dec_str(v)}
                            for (s, cat, c), v in self.by_category().items()],
            "not_evaluated": [{"key": list(r.stored.key), "reason": r.error,
                               "error": None if r.failed is None else r.failed.to_dict()["error"]}
                              for r in self.not_evaluated],
            "not_made_with_old": [{"key": list(r.key), "ruleset_sha256": r.ruleset_sha256}
                                  for r in self.other_sha],
            "notes": list(self.notes)}

    def to_text(self) -> str:
        rounding = self.new.header.rounding
        out = [f"impact on stored results in {self.database}: {self.evaluated} stored "
               f"institution-period-stage(s) re-evaluated with {self.new.sha256[:12]}; "
               f"{len(self.moved)} move, "
               f"{self.evaluated - len(self.moved) - len(self.not_evaluated)} unchanged"
               + (f", {len(self.not_evaluated)} not evaluated" if self.not_evaluated else "")]
        if self.other_sha:
            shas = sorted({r.ruleset_sha256[:12] for r in self.other_sha})
            out.append(f"note: {len(self.other_sha)} stored result(s) were not made with the old "
                       f"pack {self.old.sha256[:12]} but with {', '.join(shas)} (e.g. "
                       f"{' '.join(map(str, self.other_sha[0].key[:3]))}); they are compared "
                       "as stored")
        for r in self.moved:
            s = r.stored
            head = (f"{s.institution_id} {s.maintenance_period} {s.stage} "
                    f"(stored v{s.result_version})")
            if r.status:
                head += f": status {r.status[0]} -> {r.status[1]}"
            out.append(head)
            for m in r.moves:
                what = m.figure if m.category == "total" else f"{m.category} required"
                out.append(f"  {what} {m.currency}: {_amount(m.old, m.currency, rounding)} -> "
                           f"{_amount(m.new, m.currency, rounding)} "
                           f"({_amount(m.difference, m.currency, rounding, sign=True)})")
        if self.moved:
            out.append("total by stage, figure and currency:")
            out += [f"  {s} {f} {c}: {_amount(v, c, rounding, sign=True)}"
                    for (s, f, c), v in self.totals().items()]
            out.append("by stage, category and currency:")
            out += [f"  {s} {cat} {c}: {_amount(v, c, rounding, sign=True)}"
                    for (s, cat, c), v in self.by_category().items()]
        for r in self.not_evaluated:
            out.append(f"not evaluated: {' '.join(map(str, r.stored.key[:3]))}: {r.error}")
        out += [f"note: {n}" for n in self.notes]
        return "\n".join(out) + "\n"


def _amount(value: Decimal, ccy: str, rounding: RoundingPolicy, *, sign: bool = False) -> str:
    """Rounded once, from the exact figure, by the pack's policy; thousands grouped."""
    shown = rounding.round(value, ccy)
    text = f"{shown:,f}"
    return f"+{text}" if sign and shown > 0 else text


def impact(storage: Storage, old: RulePack, new: Engine, *,
           known: Mapping[str, Institution] | None = None) -> Impact:
    """Re-evaluate every stored result with ``new``'s pack and compare (nothing is written).

    :param known: institution records by fingerprint, for results stored without theirs.
    """
    out = Impact(old, new.pack, storage.url)
    with storage.transaction() as conn:
        found, out.notes = targets(conn, new)
        for period, stage in found:
            for r in recompute(conn, new, period, stage, known=known):
                out.evaluated += 1
                if r.stored.ruleset_sha256 != old.sha256:
                    out.other_sha.append(r.stored)
                if r.error is not None:
                    out.not_evaluated.append(r)
                elif r.moved:
                    out.moved.append(r)
    return out
