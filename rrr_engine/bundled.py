"""The rule packs shipped with the package, wherever it is installed.

The packs' source of truth is the repository's top-level ``rulesets/`` folder. A wheel carries
it as package data at ``rrr_engine/packs/`` (pyproject maps the folder there); a source
checkout or an editable install reads the folder itself. :func:`bundled_pack` finds a pack in
either place, so ``rrr demo`` and the nightly's default pack work from both.
"""

from __future__ import annotations

from pathlib import Path

from rrr_engine.errors import InputError

__all__ = ["DEFAULT_PACK", "bundled_pack", "bundled_packs_dir"]

#: The pack commands use when none is given.
DEFAULT_PACK = "vn-sbv"

_HERE = Path(__file__).resolve().parent
# the installed copy first: beside an installed package, ../rulesets could be anything
_PLACES = (_HERE / "packs", _HERE.parent / "rulesets")


def bundled_packs_dir() -> Path:
    """The folder holding the bundled packs (one sub-folder per pack)."""
    for place in _PLACES:
        if (place / DEFAULT_PACK / "pack.yaml").is_file():
            return place
    raise InputError("the bundled rule packs are missing: looked in "
                     f"{' and '.join(str(p) for p in _PLACES)}; reinstall rrr-engine, or give "
                     "the pack directory with --rules")


def bundled_pack(name: str = DEFAULT_PACK) -> Path:
    """The directory of bundled pack ``name`` (``vn-sbv``, ``ecb-mro``, ``us-regd``)."""
    pack = bundled_packs_dir() / name
    if not (pack / "pack.yaml").is_file():
        known = sorted(p.name for p in bundled_packs_dir().iterdir() if (p / "pack.yaml").is_file())
        raise InputError(f"no bundled rule pack {name!r}; bundled: {', '.join(known)}")
    return pack
