"""What a period report holds, before any file is written: tables of columns and rows, and
the chart series. The writers (:mod:`rrr_engine.reports.period` for CSV,
:mod:`rrr_engine.reports.xlsx`, :mod:`rrr_engine.reports.chart`) read these."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = ["ChartSeries", "Col", "PeriodReport", "ReportTable"]


@dataclass(frozen=True)
class Col:
    key: str
    header: str
    kind: str = "text"  # text | money | ratio | int
    currency: str = ""  # for money: the column holding the row's currency


@dataclass
class ReportTable:
    name: str
    columns: list[Col]
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ChartSeries:
    """One institution's closed period in one reserve currency, for the chart."""

    institution: str
    currency: str
    days: list[dt.date]
    balances: list[Decimal]  # end of day, carried forward over days without a row
    required: Decimal  # these four rounded once, each from its exact figure
    held_average: Decimal
    excess: Decimal
    shortfall: Decimal


@dataclass
class PeriodReport:
    period: Any  # Month or DatedPeriod
    tables: list[ReportTable]
    charts: dict[str, list[ChartSeries]]  # institution -> one series per reserve currency
    audit_head: str = ""  # SEQ:HASH of the audit log, read with the figures

