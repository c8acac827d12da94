"""Built-in host adapter: the CSV/YAML file formats of ``rrr evaluate``.

Registered by default and ``trylast``, so any host plugin that answers the same hook wins.
Answers a hook only when the options name its file (``institutions``, ``balances``,
``fx_rates``, ``holdings``); the rows are filtered to the dates asked for. Records are checked
against the pack's vocabulary (the hooks' ``vocabulary`` argument) where they are read, so a
problem names the file and line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from rrr_engine.defaults.inputs import (
    read_balances,
    read_fx_rates,
    read_holdings,
    read_institutions,
)
from rrr_engine.hooks.spec import hookimpl
from rrr_engine.models import BalanceRow, FxRate, HoldingRow, Institution
from rrr_engine.rules.model import PackHeader


@hookimpl(trylast=True)
def rrr_institutions(options: Mapping[str, Any],
                     vocabulary: PackHeader) -> list[Institution] | None:
    path = options.get("institutions")
    # classes are checked per institution by the evaluation: an unknown class is that
    # institution's error entry, not a reason to refuse the whole file
    return None if not path else read_institutions(path, vocabulary=vocabulary)


@hookimpl(trylast=True)
def rrr_daily_balances(options: Mapping[str, Any], start: dt.date, end: dt.date,
                       vocabulary: PackHeader) -> list[BalanceRow] | None:
    path = options.get("balances")
    if not path:
        return None
    return read_balances(path, tuple(vocabulary.categories), window=(start, end))


@hookimpl(trylast=True)
def rrr_fx_rates(options: Mapping[str, Any], start: dt.date, end: dt.date,
                 vocabulary: PackHeader) -> list[FxRate] | None:
    path = options.get("fx_rates")
    return None if not path else read_fx_rates(path, window=(start, end),
                                               columns=vocabulary.fx_rate_columns)


@hookimpl(trylast=True)
def rrr_holdings(options: Mapping[str, Any], start: dt.date,
                 end: dt.date) -> list[HoldingRow] | None:
    path = options.get("holdings")
    return None if not path else read_holdings(path, window=(start, end))
