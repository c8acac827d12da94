"""rrr_corebank_sample: a synthetic core bank for demos, tests and the benchmark.

Not part of the adapter a bank installs (:mod:`rrr_corebank_sql`): it owns the sample
database's schema and deterministic data (:mod:`.generate`, loaded by :mod:`.bulk`) and the
mapping that reads it with the adapter (``sample_mapping.yaml``).
"""

from rrr_corebank_sample.generate import generate_bank, sample_mapping_path, write_mapping

__all__ = ["generate_bank", "sample_mapping_path", "write_mapping"]
