"""rrr_corebank_sample: a synthetic core bank for demos, tests and the benchmark.

Not part of the adapter a bank installs (:mod:`rrr_corebank_sql`): it owns the sample
database's schema and deterministic data (:mod:`.generate`, loaded by :mod:`.bulk`) and the
mapping that reads it with the adapter (``sample_mapping.yaml``).
"""

from rrr_corebank_sample.generate import generate_bank, sample_mapping_path, write_mapping

__all__ = ["WHATIF", "generate_bank", "sample_mapping_path", "write_mapping"]

# The demo's what-if on the Vietnam pack the sample bank is read with: (class, category, ratio
# in force, ratio of the what-if pack), i.e. other credit institutions' VND short-term ratio.
WHATIF = ("other_ci", "vnd_short", "0.03", "0.04")
