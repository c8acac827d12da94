"""How a calendar pack's day-dated rules meet its listed maintenance periods.

In a calendar pack a rule governs the listed periods whose start day lies within its dates.
A rule none of whose days is a period start therefore never applies: certainly so (an error)
when its days all lie inside listed periods, since periods never overlap and the list is
authoritative; possibly (a warning) when some of its days are not yet in the list. A rule that
starts or stops inside a period is legal, and the law's usual timing, but easy to misread, so
the check says which period it first or last governs (a note). Periods listed before the
pack's first version are refused when evaluated; they are listed too (a note).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rrr_engine.rules.issues import Issue, Locator
from rrr_engine.rules.spans import inside_listed, periods_phrase, rule_span, starting_in

if TYPE_CHECKING:
    from rrr_engine.rules.calendars import CalendarPeriods
    from rrr_engine.rules.pack import RulePack

__all__ = ["calendar_issues"]

_SECTIONS = ("ratios", "exemptions", "reductions", "allowances", "interest", "daily_minimum")


def calendar_issues(pack: RulePack, loc: Locator) -> list[Issue]:
    """Rules in force for no listed period, mid-period boundaries, periods before the pack."""
    periods = pack.periods
    if periods.kind == "monthly":
        return []
    issues: list[Issue] = []
    for section in _SECTIONS:
        for index, rule in enumerate(getattr(pack, section)):
            issues += _rule_issues(periods, loc, section, index, rule)
    early = [p for p in periods.periods if pack.versions and p.first < pack.versions[0]]
    if early:
        first = periods.periods.index(early[0])
        issues.append(loc.issue(
            "note", "before_first_version", "periods", ("maintenance", first),
            f"periods.maintenance.{first}",
            f"{periods_phrase(early)} {'starts' if len(early) == 1 else 'start'} before the "
            f"pack's first version {pack.versions[0]}: evaluating "
            f"{'it' if len(early) == 1 else 'them'} is refused (NoRulesetInForce)"))
    return issues


def _rule_issues(periods: CalendarPeriods, loc: Locator, section: str, index: int,
                 rule: Any) -> list[Issue]:
    span = rule_span(rule.effective, periods.kind)
    first_day, last_day = rule.effective.first_day, rule.effective.last_day  # the span's days
    key = f"{section}.{rule.id}"
    governed = starting_in(periods, span)
    if not governed:
        around = [p for p in periods.periods if p.first <= (span.end or p.first)
                  and span.start <= p.last]
        if inside_listed(periods, span):
            return [loc.issue(
                "error", "unreachable", section, (index, "effective"), key,
                f"can never apply: in force {span}, which lies inside {periods_phrase(around)}; "
                "no maintenance period starts in it, and a rule governs the periods that start "
                "within its dates")]
        return [loc.issue(
            "warning", "no_period", section, (index, "effective"), key,
            f"in force {span}, but no listed maintenance period starts in it, so no evaluation "
            "uses it; list the periods, or check the dates")]
    out = []
    inside = periods.containing(first_day)
    if inside is not None and inside.first != first_day:
        out.append(loc.issue(
            "note", "mid_period", section, (index, "effective"), key,
            f"starts {span.start}, inside {periods_phrase([inside])}, which keeps the rules in "
            f"force on its start day: it first applies to {periods_phrase(governed[:1])}"))
    if last_day is not None:
        inside = periods.containing(last_day)
        if inside is not None and inside.last != last_day and inside in governed:
            out.append(loc.issue(
                "note", "mid_period", section, (index, "effective"), key,
                f"ends {span.end}, inside {periods_phrase([inside])}, which started while it "
                f"was in force: it governs that period to its end ({inside.last})"))
    return out

