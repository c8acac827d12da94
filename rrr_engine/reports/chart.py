"""PNG chart: an institution's daily central-bank balance against its requirement.

One panel per reserve currency over the calendar days of the maintenance period: the
end-of-day balance as a step line (days without a row carry the previous balance, as in the
average), the requirement as a horizontal line, and the held average dashed; the area below
the requirement is shaded where the balance dips under it. Uses matplotlib's Agg backend
(no display needed) through the object API, never pyplot's global figure state.

Day ticks are labelled from the dates themselves (no time zone, no locator), each label
unique: the day of the month within one month, day and month within a year, and the year too
beyond. The report's provenance is printed as a footer line and stored as PNG text chunks
(``pack_id``, ``pack_sha256``, ``run_id``, ``audit_head``, ...).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import IO, Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from rrr_engine import __version__
from rrr_engine.provenance import Provenance
from rrr_engine.reports.model import ChartSeries

__all__ = ["write_chart"]

# Units that keep the axis numbers short (balances in đồng read naturally in billions, tỷ đồng).
_UNITS = ((9, "bn"), (6, "m"), (3, "k"))


def _unit(values: list[Decimal]) -> tuple[Decimal, str]:
    """The largest unit in which the biggest figure is still at least 1."""
    biggest = max((abs(v) for v in values), default=Decimal(0))
    for exponent, name in _UNITS:
        if biggest >= Decimal(10) ** exponent:
            return Decimal(10) ** exponent, name
    return Decimal(1), ""


def _plot(value: Decimal, scale: Decimal) -> float:
    # pixels, not money: the figures themselves are exact and printed from Decimal elsewhere
    return float(value / scale)


def write_chart(series: list[ChartSeries], period: Any, file: IO[bytes] | str,
                source: Provenance) -> None:
    """Write one PNG (1200 px wide, 420 px per currency panel) for one institution."""
    fig = chart_figure(series, period, footer="\n".join(source.lines()))
    metadata = {"Title": f"{series[0].institution} reserve holdings, {period}",
                "Software": f"rrr-engine {__version__}", **dict(source.items())}
    fig.savefig(file, format="png", metadata=metadata)


def tick_labels(days: list[dt.date]) -> list[str]:
    """A unique label per day: ``01``; ``01 Sep``; ``01 Sep 2025`` as the span requires."""
    if (days[0].year, days[0].month) == (days[-1].year, days[-1].month):
        shown = [f"{d.day:02d}" for d in days]
    elif days[0].year == days[-1].year:
        shown = [f"{d.day:02d} {d:%b}" for d in days]
    else:
        shown = [f"{d.day:02d} {d:%b %Y}" for d in days]
    return shown if len(set(shown)) == len(shown) else [d.isoformat() for d in days]


def chart_figure(series: list[ChartSeries], period: Any, footer: str = "") -> Figure:
    """The chart as a matplotlib figure (one panel per reserve currency)."""
    if not series:
        raise ValueError("no series to chart")
    height = 4.2 * len(series) + 0.6
    fig = Figure(figsize=(12, height), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(series), 1, squeeze=False)[:, 0]
    for ax, s in zip(axes, series, strict=True):
        scale, unit = _unit([*s.balances, s.required, s.held_average])
        # one extra point so the last day's end-of-day balance is drawn as a full step
        xs = [*s.days, s.days[-1] + dt.timedelta(days=1)]
        ys = [_plot(v, scale) for v in s.balances]
        ys.append(ys[-1])
        req, held = _plot(s.required, scale), _plot(s.held_average, scale)
        ax.step(xs, ys, where="post", color="#1F4E78", linewidth=2,
                label="end-of-day balance at the SBV")
        ax.axhline(req, color="#C00000", linewidth=1.8,
                   label=f"requirement {s.required:,} {s.currency}")
        ax.axhline(held, color="#2E7D32", linewidth=1.4, linestyle="--",
                   label=f"average held {s.held_average:,} {s.currency}")
        # one rectangle per day below: fill_between(where=..., step="post") needs two
        # consecutive days below to draw anything, so a single bad day would not show
        label: str | None = "below the requirement"
        # xs and ys carry the extra end point: the days are as many as the balances
        for x0, x1, y, exact_balance in zip(xs, xs[1:], ys, s.balances, strict=False):
            if exact_balance < s.required:  # decided on the Decimals, not the plotted floats
                ax.fill_between([x0, x1], [y, y], req, color="#C00000", alpha=0.12, label=label)
                label = None
        ax.set_xlim(xs[0], xs[-1])
        # every day of a month; weekly beyond (ECB periods run six weeks or more); never the
        # extra step point, which is not a day of the period
        one_month = (s.days[0].year, s.days[0].month) == (s.days[-1].year, s.days[-1].month)
        ticks = s.days if len(s.days) <= 31 else s.days[::7]
        ax.set_xticks(ticks, labels=tick_labels(ticks))
        ax.tick_params(axis="x", labelsize=8)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.1f}"))
        ax.set_ylabel(f"{s.currency} {unit}".strip())
        shown = f"day of {period}" if one_month else f"{period} ({s.days[0]} to {s.days[-1]})"
        ax.set_xlabel(f"{shown} (calendar days; weekends and holidays carry the previous "
                      "balance)", fontsize=9)
        low, high = min(ys + [req, held]), max(ys + [req, held])
        pad = (high - low) * 0.15 or abs(high) * 0.1 or 1
        ax.set_ylim(max(low - pad, 0) if low >= 0 else low - pad, high + pad * 2.5)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="upper right", fontsize=9, framealpha=0.9, ncols=2)
        # the stored excess/shortfall, rounded once: never a difference of two rounded figures
        verdict = (f"SHORTFALL {s.shortfall:,} {s.currency}" if s.shortfall > 0 else
                   f"excess {s.excess:,} {s.currency}")
        ax.set_title(f"{s.institution}: central-bank balance vs required reserve, "
                     f"{s.currency}, maintenance period {period} - {verdict}", fontsize=11,
                     color="#C00000" if s.shortfall > 0 else "black")
    if footer:
        fig.text(0.005, 0.003, footer, fontsize=6.5, color="#555555", ha="left", va="bottom")
        fig.tight_layout(rect=(0, 0.3 / height, 1, 1))
    else:
        fig.tight_layout()
    return fig
