"""The plugin manager and the one typed facade that calls hooks.

A manager is built per :class:`~rrr_engine.engine.Engine`, never at import time: the built-in
plugins (:data:`DEFAULT_PLUGINS`, registered ``trylast`` so a host's plugin wins), then
third-party plugins from the ``rrr_engine`` entry-point group, then the host's own objects.
``check_pending`` makes a misspelt ``rrr_`` hook name fail at once.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pluggy

from rrr_engine.errors import PluginError
from rrr_engine.hooks import spec as hookspecs
from rrr_engine.models import BalanceRow, EmptyDay, FxRate, HoldingRow, Institution
from rrr_engine.rules.model import PackHeader

__all__ = ["DEFAULT_PLUGINS", "Hooks", "make_manager"]

DEFAULT_PLUGINS = ("rrr_engine.defaults.files",)


def make_manager(plugins: Sequence[object] = (), *,
                 entry_points: bool = True) -> pluggy.PluginManager:
    """A fresh manager: defaults, then entry points, then ``plugins`` (last registered wins)."""
    pm = pluggy.PluginManager("rrr_engine")
    pm.add_hookspecs(hookspecs)
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    if entry_points:
        pm.load_setuptools_entrypoints("rrr_engine")
    for plugin in plugins:
        pm.register(plugin)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin error: {exc}") from None
    return pm


class Hooks:
    """The only caller of ``pm.hook``: keyword arguments, typed results, named failures.

    :param vocabulary: the pack's declarations, passed to every source hook as an argument.
    """

    def __init__(self, pm: pluggy.PluginManager, vocabulary: PackHeader) -> None:
        self._pm = pm
        self.vocabulary = vocabulary

    def _required(self, name: str, value: Any, options: Mapping[str, Any]) -> Any:
        if value is None:
            raise PluginError(f"no plugin provides {name} for the options given "
                              f"({', '.join(sorted(options)) or 'none'})")
        return value

    def institutions(self, options: Mapping[str, Any]) -> list[Institution]:
        return list(self._required("institutions", self._pm.hook.rrr_institutions(
            options=options, vocabulary=self.vocabulary), options))

    def daily_balances(self, options: Mapping[str, Any], start: dt.date,
                       end: dt.date) -> list[BalanceRow]:
        return self.day_balances(options, start, end)[0]

    def day_balances(self, options: Mapping[str, Any], start: dt.date,
                     end: dt.date) -> tuple[list[BalanceRow], str | None]:
        """The rows, and the reason when the source says the dates are empty on purpose."""
        found = self._pm.hook.rrr_daily_balances(options=options, start=start, end=end,
                                                 vocabulary=self.vocabulary)
        if isinstance(found, EmptyDay):
            return [], found.reason
        return list(self._required("daily balances", found, options)), None

    def fx_rates(self, options: Mapping[str, Any], start: dt.date, end: dt.date) -> list[FxRate]:
        found = self._pm.hook.rrr_fx_rates(options=options, start=start, end=end,
                                           vocabulary=self.vocabulary)
        return [] if found is None else list(found)

    def holdings(self, options: Mapping[str, Any], start: dt.date,
                 end: dt.date) -> list[HoldingRow] | None:
        found = self._pm.hook.rrr_holdings(options=options, start=start, end=end,
                                           vocabulary=self.vocabulary)
        return None if found is None else list(found)

    def publish_results(self, options: Mapping[str, Any],
                        results: Iterable[dict[str, Any]]) -> None:
        self._pm.hook.rrr_publish_results(options=options, results=list(results))

    def report_written(self, options: Mapping[str, Any], path: Path, kind: str,
                       period: str) -> None:
        self._pm.hook.rrr_report_written(options=options, path=path, kind=kind, period=period)
