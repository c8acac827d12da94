"""rrr-engine: required reserves computed from declarative, dated, cited rule packs."""

from .errors import RrrError
from .hookspecs import hookimpl

__all__ = ["RrrError", "__version__", "hookimpl"]

__version__ = "0.1.0"
