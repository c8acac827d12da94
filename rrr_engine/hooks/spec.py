"""Hook specifications: where a host plugs its data into the engine and takes results out.

Every hook is prefixed ``rrr_``, called with keyword arguments only, and called by exactly one
place, :class:`rrr_engine.hooks.manager.Hooks`. A host implements them with
``from rrr_engine import hookimpl``. Source hooks are ``firstresult``: the first plugin that
returns something other than ``None`` answers, so a host's plugin registered after the
built-in defaults (which are ``trylast``) wins without editing the package.

Source hooks receive the pack's vocabulary as the argument ``vocabulary`` (its
:class:`~rrr_engine.rules.model.PackHeader`: classes, categories, currencies, event types,
institution attributes, the FX rate column's name), never inside the host's ``options``. An
implementation that has no use for it leaves the parameter out of its signature.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pluggy

from rrr_engine.models import BalanceRow, EmptyDay, FxRate, HoldingRow, Institution
from rrr_engine.rules.model import PackHeader

__all__ = ["hookimpl", "hookspec"]

hookspec = pluggy.HookspecMarker("rrr_engine")
hookimpl = pluggy.HookimplMarker("rrr_engine")


@hookspec(firstresult=True)
def rrr_institutions(options: Mapping[str, Any],
                     vocabulary: PackHeader) -> list[Institution] | None:
    """Return every institution to evaluate, with its class and dated events.

    ``firstresult``. Called once per evaluation run by the engine, before any balance is read.

    :param options: the run's source options (e.g. ``{"institutions": "banks.yaml"}`` or a
        database URL); a plugin answers only when the options name a source it reads, and
        returns ``None`` otherwise.
    :param vocabulary: the pack's declarations; a record is checked against them by the
        evaluation in any case, and an adapter that checks too can name its file and line.
    """


@hookspec(firstresult=True)
def rrr_daily_balances(options: Mapping[str, Any], start: dt.date, end: dt.date,
                       vocabulary: PackHeader) -> Iterable[BalanceRow] | EmptyDay | None:
    """Return end-of-day reservable balances per institution, category and currency.

    ``firstresult``. Called by the engine for the computation month (with room before it to
    carry a missing first day forward) and by the nightly job for one business date
    (``start == end``). Totals, not accounts: an adapter aggregates inside its own store.

    A working day for which the source has no balances stops the nightly job before anything
    of that date is stored (the source may not have loaded it yet). When the day has no
    balances on purpose, return :class:`rrr_engine.models.EmptyDay` with the reason instead of
    an empty list (a host without a plugin says so with the source option
    ``empty_days=YYYY-MM-DD,...``). A non-working day may simply return no rows.

    :param options: the run's source options.
    :param start: first calendar day wanted, inclusive.
    :param end: last calendar day wanted, inclusive.
    :param vocabulary: the pack's declarations (``vocabulary.categories``: the categories a
        row may name).
    """


@hookspec(firstresult=True)
def rrr_fx_rates(options: Mapping[str, Any], start: dt.date, end: dt.date,
                 vocabulary: PackHeader) -> Iterable[FxRate] | None:
    """Return the institution's balance-sheet FX rates (units of the pack's domestic currency
    per unit of each currency) between two dates.

    ``firstresult``. Called by the engine once per evaluation for the computation month.

    :param options: the run's source options.
    :param start: first day wanted, inclusive.
    :param end: last day wanted, inclusive.
    :param vocabulary: the pack's declarations (``vocabulary.domestic_currency``,
        ``vocabulary.fx_rate_columns``: what a rate file's rate column may be called).
    """


@hookspec(firstresult=True)
def rrr_holdings(options: Mapping[str, Any], start: dt.date, end: dt.date,
                 vocabulary: PackHeader) -> Iterable[HoldingRow] | None:
    """Return end-of-day balances of the institutions' payment accounts at the central bank.

    ``firstresult``. Called by the engine for the maintenance month when holdings are to be
    compared; ``None`` means no holdings source, and the result then has no held/excess lines.

    :param options: the run's source options.
    :param start: first day wanted, inclusive.
    :param end: last day wanted, inclusive.
    :param vocabulary: the pack's declarations.
    """


@hookspec
def rrr_publish_results(options: Mapping[str, Any], results: list[dict[str, Any]]) -> None:
    """Receive the evaluated results (the JSON shape of ``rrr evaluate``) to store or forward.

    Not ``firstresult``: every plugin that implements it is called, after a run's results
    are complete, by the engine's caller (the CLI or the nightly job). The nightly job calls
    it after each business date's transaction has committed, with the result versions that
    date's run stored; each dict then also has ``stage`` (``requirement`` or ``close``) and
    ``result_version``. A re-run of the same date publishes the same versions again, so a
    receiver should key on (institution, period, stage, version).

    :param options: the run's options.
    :param results: one dict per institution, amounts as decimal strings.
    """


@hookspec
def rrr_report_written(options: Mapping[str, Any], path: Path, kind: str, period: str) -> None:
    """Be told that a report file is complete on disk, e.g. to upload or e-mail it.

    Not ``firstresult``: every implementation is called, by the report writer, after the file
    has been renamed into place (never for a half-written file). Re-running a date rewrites
    its reports and calls this hook again for each.

    :param options: the run's source options.
    :param path: the report file.
    :param kind: ``<table>_csv`` for each table of the period report (the base averages take
        the name of the pack's form for them, e.g. ``<form>_csv``, else ``base_averages_csv``;
        then ``requirement_csv``, ``obligation_csv``, ``restatements_csv``), ``xlsx`` or
        ``chart_png``.
    :param period: the maintenance period the report belongs to (``YYYY-MM`` for a monthly
        pack, the period's id for a calendar pack).
    """
