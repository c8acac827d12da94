"""Benchmark: evaluating institution-months through the rule kernel.

Run: ``make bench`` (or ``python benchmarks/bench_engine.py [--institutions N]``).

Three ways to reach the same figures, timed in the same run (best of 3):

* ``baseline``: a hand-written Python function with the Vietnam ratios and exemptions as
  if/else (what a team would write without a rule engine); the reference, ratio 1.00.
* ``kernel, every fact``: the engine with decision reuse off: one durable_rules fact per
  institution-category.
* ``kernel, reuse``: the engine as shipped: identical decision inputs decided once.

All three include the same Decimal averaging over the computation month's days, so the
difference is the cost of deciding with declarative rules. Results are checked equal.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import time
from decimal import Decimal
from functools import partial
from pathlib import Path

from rrr_engine.core.averages import daily_series, monthly_average
from rrr_engine.engine import Engine
from rrr_engine.models import BalanceRow, Event, Institution
from rrr_engine.money import exact
from rrr_engine.periods import Month

PACK = Path(__file__).resolve().parent.parent / "rulesets" / "vn-sbv"
MONTH = Month(2025, 10)
CATS = (("vnd_short", "VND"), ("vnd_long", "VND"), ("fx_overseas_ci", "USD"),
        ("fx_short", "USD"), ("fx_long", "USD"))
RATIOS = {"other_ci": ("0.03", "0.01", "0.01", "0.08", "0.06"),
          "agribank": ("0.03", "0.01", "0.01", "0.07", "0.05")}


def make_bank(n: int, seed: int = 7) -> tuple[list[Institution], list[BalanceRow]]:
    rnd = random.Random(seed)
    insts, rows = [], []
    for i in range(n):
        events = ()
        if i % 10 == 0:
            events = (Event(type="special_control_start", date=dt.date(2025, 5, 1)),)
        elif i % 10 == 1:
            events = (Event(type="mandatory_transfer_start", date=dt.date(2025, 8, 1)),)
        inst = Institution(id=f"I{i}", **{"class": "agribank" if i % 3 == 0 else "other_ci"},
                           events=events)
        insts.append(inst)
        for day in (MONTH - 1).dates():
            for cat, ccy in CATS:
                rows.append(BalanceRow(inst.id, day, cat, ccy, Decimal(rnd.randint(10**6, 10**9))))
    return insts, rows


def baseline(insts: list[Institution], rows: list[BalanceRow]) -> dict[str, dict[str, Decimal]]:
    """The same law, hand-coded: no rule data, no citations, no exemption windows."""
    by_inst: dict[str, list[BalanceRow]] = {}
    for r in rows:
        by_inst.setdefault(r.institution_id, []).append(r)
    out = {}
    for inst in insts:
        types = {e.type for e in inst.events}
        if "special_control_start" in types:
            out[inst.id] = {}
            continue
        factor = Decimal("0.5") if "mandatory_transfer_start" in types else Decimal(1)
        series = daily_series((r.date, r.category, r.amount) for r in by_inst[inst.id])
        avg = monthly_average(series, MONTH - 1, missing_days="carry_forward", what="balances",
                              institution=inst.id)
        req = {"VND": Decimal(0), "USD": Decimal(0)}
        with exact():  # the engine's 40-digit context, so the figures compare equal
            for (cat, ccy), ratio in zip(CATS, RATIOS[inst.class_], strict=True):
                req[ccy] += Decimal(ratio) * factor * avg.averages[cat]
        out[inst.id] = req
    return out


def best_of(fn, repeat: int = 3) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--institutions", type=int, nargs="+", default=[200, 1000])
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {platform.python_implementation()} "
          f"{platform.python_version()}, {platform.system()}; best of 3")
    print(f"{'institutions':>12}  {'method':<20}{'seconds':>9}{'inst/s':>10}{'ratio':>8}")
    for n in args.institutions:
        insts, rows = make_bank(n)
        t_base, expected = best_of(partial(baseline, insts, rows))
        timings = [("baseline (if/else)", t_base)]
        for label, reuse in (("kernel, every fact", False), ("kernel, reuse", True)):
            def run(reuse=reuse, insts=insts, rows=rows):
                engine = Engine(PACK, reuse_decisions=reuse, entry_points=False)
                return engine.evaluate(MONTH, institutions=insts, balances=rows)
            t, results = best_of(run)
            got = {r.institution.id: r.required for r in results}
            assert got == expected, f"{label}: results differ from the baseline"
            timings.append((label, t))
        for label, t in timings:
            print(f"{n:>12}  {label:<20}{t:>9.3f}{n / t:>10.0f}{t / t_base:>8.2f}")


if __name__ == "__main__":
    main()
