"""A pack's YAML scenarios: worked cases compliance staff write, read and run.

A scenario gives institutions, balances (a constant amount over a date range is the usual
shorthand; default range: the whole computation period), FX rates and holdings (default: the
whole maintenance period), and what must come out: status, exemption, ratios and amounts per
category (and per tranche of a tiered cell), allowances, totals, a daily minimum's floor and
the days below it, the periods, finding codes, or an error. ``period`` is a month (``2025-10``)
or a calendar pack's period id. :func:`run_scenario` returns the list of differences (empty when
it passes) and the rules the scenario exercised, for coverage; pytest collects these files through
:mod:`rrr_engine.authoring.pytest_plugin`, ``rrr rules test`` runs them directly.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from rrr_engine.engine import Engine
from rrr_engine.errors import InputError, RrrError
from rrr_engine.models import BalanceRow, FxRate, HoldingRow, Institution
from rrr_engine.notation import Exact, exact_decimal
from rrr_engine.periods import days_between
from rrr_engine.rules.yamlsrc import load_document, parse_model

__all__ = ["Scenario", "ScenarioOutcome", "load_scenarios", "run_scenario"]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Span(_M):
    """``amount`` of ``currency`` in ``category`` at end of every day from ``from`` to ``to``."""

    institution: str
    category: str | None = None
    currency: str
    amount: Exact
    from_: dt.date | None = Field(default=None, alias="from")
    to: dt.date | None = None


class Rate(_M):
    """A balance-sheet rate: ``domestic_per_unit``, or the same under the pack's own name for
    it (``pack.fx_rate_column``), which :func:`run_scenario` checks."""

    model_config = ConfigDict(extra="allow")
    date: dt.date
    currency: str
    domestic_per_unit: Exact | None = None

    def value(self, columns: tuple[str, ...]) -> Decimal:
        """The rate, under one of ``columns``; an :class:`InputError` naming them otherwise."""
        given: dict[str, Any] = ({} if self.domestic_per_unit is None
                                 else {"domestic_per_unit": self.domestic_per_unit})
        given.update(self.model_extra or {})
        if len(given) != 1 or next(iter(given)) not in columns:
            raise InputError(f"a rate of {self.currency} on {self.date} has one of "
                             f"{', '.join(columns)}; found {', '.join(given) or 'none'}",
                             field="fx_rates")
        try:
            return Decimal(exact_decimal(next(iter(given.values()))))
        except ValueError as exc:
            raise InputError(str(exc), field=f"fx_rates.{next(iter(given))}") from None


class ExpectTranche(_M):
    """One band of a tiered line, in band order."""

    ratio: Exact | None = None
    base: Exact | None = None
    required: Exact | None = None


class ExpectLine(_M):
    ratio: Exact | None = None
    class_ratio: Exact | None = None
    required: Exact | None = None
    average_base: Exact | None = None
    rule: str | None = None
    reductions: list[str] | None = None
    tranches: list[ExpectTranche] | None = None


class ExpectDailyMinimum(_M):
    """One currency's daily floor: the amount, and every day below it with its gap."""

    share: Exact | None = None
    minimum: Exact | None = None
    days_below: dict[dt.date, Exact] | None = None  # day -> amount short; exactly these days


class Expect(_M):
    institution: str
    status: str | None = None
    exemption: dict[str, Any] | None = None
    lines: dict[str, ExpectLine] = {}
    required: dict[str, Exact] | None = None
    held: dict[str, Exact] | None = None
    excess: dict[str, Exact] | None = None
    shortfall: dict[str, Exact] | None = None
    interest: dict[str, Exact] | None = None
    required_before_allowances: dict[str, Exact] | None = None
    allowances: dict[str, Exact] | None = None  # rule id -> amount deducted
    daily_minimum: dict[str, ExpectDailyMinimum] | None = None  # currency -> floor and days
    computation_period: str | None = None
    version: str | None = None  # the ruleset version applied
    period_dates: dict[str, str] | None = None
    findings: list[str] | None = None  # codes that must be present
    no_findings: list[str] | None = None  # codes that must be absent


class ExpectError(_M):
    type: str
    contains: str = ""


class Scenario(_M):
    name: str
    description: str = ""
    period: str
    institutions: list[Institution]
    balances: list[Span] = []
    fx_rates: list[Rate] = []
    holdings: list[Span] | None = None
    expect: list[Expect] = []
    expect_error: ExpectError | None = None
    line: int = 0


class _File(_M):
    scenarios: list[Scenario]


class ScenarioOutcome(BaseModel):
    name: str
    differences: list[str]
    rules: set[str]


def load_scenarios(path: str | Path) -> list[Scenario]:
    doc = load_document(path)
    parsed = parse_model(doc, _File)
    return [s.model_copy(update={"line": doc.line_of(("scenarios", i)) or 0})
            for i, s in enumerate(parsed.scenarios)]


def _expand(engine: Engine, sc: Scenario, spans: list[Span], holdings: bool) -> list[Any]:
    month, computation = engine.periods(sc.period)
    default = month if holdings else computation
    rows: list[Any] = []
    for s in spans:
        for day in days_between(s.from_ or default.first, s.to or default.last):
            if holdings:
                rows.append(HoldingRow(s.institution, day, s.currency, s.amount))
            else:
                rows.append(BalanceRow(s.institution, day, s.category or "", s.currency, s.amount))
    return rows


def run_scenario(engine: Engine, sc: Scenario) -> ScenarioOutcome:
    """Run one scenario; the outcome lists every difference from what it expects."""
    diffs: list[str] = []
    try:
        columns = engine.pack.header.fx_rate_columns
        results = engine.evaluate(
            sc.period, institutions=sc.institutions,
            balances=_expand(engine, sc, sc.balances, False),
            fx_rates=[FxRate(r.date, r.currency, r.value(columns)) for r in sc.fx_rates],
            holdings=None if sc.holdings is None else _expand(engine, sc, sc.holdings, True))
    except RrrError as exc:
        if sc.expect_error and exc.__class__.__name__ == sc.expect_error.type \
                and sc.expect_error.contains in str(exc):
            return ScenarioOutcome(name=sc.name, differences=[], rules=set())
        return ScenarioOutcome(
            name=sc.name, differences=[f"unexpected error {exc.__class__.__name__}: {exc}"],
            rules=set())
    if sc.expect_error:
        diffs.append(f"expected error {sc.expect_error.type}, got results")
    rules: set[str] = set()
    by_id = {r.institution.id: r for r in results}
    presented = {r["institution_id"]: r for r in engine.to_json(results)}
    for res in results:
        if res.exemption:
            rules.add(res.exemption.rule)
        for ln in res.lines:
            rules.add(ln.rule)
            rules.update(ln.reductions)
        rules.update(a.rule for a in res.allowances or ())
    for exp in sc.expect:
        if exp.institution not in by_id:
            diffs.append(f"{exp.institution}: no result")
            continue
        out = presented[exp.institution]
        def check(what: str, got: Any, want: Any, who: str = exp.institution) -> None:
            if want is not None and got != want:
                diffs.append(f"{who}: {what}: expected {want}, got {got}")
        check("status", out["status"], exp.status)
        check("computation_period", out["computation_period"], exp.computation_period)
        check("version", out["ruleset"]["version"], exp.version)
        for key, want in (exp.period_dates or {}).items():
            check(f"period_dates.{key}", (out.get("period_dates") or {}).get(key), str(want))
        for key, want in (exp.exemption or {}).items():
            check(f"exemption.{key}", (out["exemption"] or {}).get(key), want)
        lines = {ln["category"]: ln for ln in out["lines"]}
        for cat, line in exp.lines.items():
            got = lines.get(cat, {})
            for key in ("ratio", "class_ratio", "required", "average_base"):
                w = getattr(line, key)
                g = got.get(key)
                check(f"{cat}.{key}", None if g is None else Decimal(g), w)
            check(f"{cat}.rule", got.get("rule"), line.rule)
            check(f"{cat}.reductions", got.get("reductions"), line.reductions)
            if line.tranches is not None:
                bands = got.get("tranches") or []
                check(f"{cat}.tranches (count)", len(bands), len(line.tranches))
                # a count that differs is reported just above; the tranches both have compare
                for n, (tw, tg) in enumerate(zip(line.tranches, bands, strict=False), 1):
                    for key in ("ratio", "base", "required"):
                        check(f"{cat}.tranche {n}.{key}", Decimal(tg[key]), getattr(tw, key))
        if exp.allowances is not None:
            got_allowances = {a["rule"]: Decimal(a["deducted"])
                              for a in out.get("allowances") or ()}
            check("allowances", got_allowances, exp.allowances)
        for key in ("required", "held", "excess", "shortfall", "interest",
                    "required_before_allowances"):
            want = getattr(exp, key)
            if want is not None:
                got = {c: Decimal(v) for c, v in (out.get(key) or {}).items()}
                check(key, got, want)
        for ccy, want_min in (exp.daily_minimum or {}).items():
            got_min = (out.get("daily_minimum") or {}).get(ccy)
            if got_min is None:
                diffs.append(f"{exp.institution}: daily_minimum.{ccy}: expected, got none")
                continue
            check(f"daily_minimum.{ccy}.share", Decimal(got_min["share"]), want_min.share)
            check(f"daily_minimum.{ccy}.minimum", Decimal(got_min["minimum"]), want_min.minimum)
            if want_min.days_below is not None:
                check(f"daily_minimum.{ccy}.days_below",
                      {dt.date.fromisoformat(d["date"]): Decimal(d["short"])
                       for d in got_min["days_below"]}, want_min.days_below)
        codes = [f["code"] for f in out["findings"]]
        for code in exp.findings or ():
            if code not in codes:
                diffs.append(f"{exp.institution}: finding {code!r} missing (got {codes})")
        for code in exp.no_findings or ():
            if code in codes:
                diffs.append(f"{exp.institution}: finding {code!r} present but not expected")
    return ScenarioOutcome(name=sc.name, differences=diffs, rules=rules)
