"""rrr_corebank_sql: a host adapter reading the reserve base straight from a core-banking
database through a reviewed YAML mapping of the bank's own schema.

Modules: :mod:`.mapping` (the mapping's shape), :mod:`.loader` (YAML with line numbers),
:mod:`.compiler` (rules to one SQL CASE), :mod:`.query` (one set-based query per day),
:mod:`.amounts` (exact values from drivers), :mod:`.plugin` (the pluggy hooks).
The synthetic bank the demo and the tests run against is not part of the adapter: it is
``rrr_corebank_sample`` (``sample/``), and the benchmark is ``benchmarks/bench_snapshot.py``.
"""

from .loader import load_mapping, parse_mapping
from .mapping import Mapping, Rule
from .query import Snapshot, explain_account, fx_rates, holdings, snapshot_day

__all__ = [
    "Mapping",
    "Rule",
    "Snapshot",
    "explain_account",
    "fx_rates",
    "holdings",
    "load_mapping",
    "parse_mapping",
    "snapshot_day",
]
