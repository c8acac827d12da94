"""The bundled packs are found from a checkout (an installed wheel is checked by
scripts/check-wheel.sh, which runs ``rrr demo`` from a venv outside the repository)."""

import pytest
from clirun import ROOT

from rrr_engine.bundled import bundled_pack, bundled_packs_dir
from rrr_engine.cli.nightly import default_rules
from rrr_engine.errors import InputError


def test_a_checkout_reads_the_top_level_rulesets_folder():
    assert bundled_packs_dir() == ROOT / "rulesets"
    assert default_rules() == bundled_pack() == ROOT / "rulesets" / "vn-sbv"
    assert bundled_pack("us-regd") == ROOT / "rulesets" / "us-regd"


def test_an_unknown_bundled_pack_names_those_there_are():
    with pytest.raises(InputError, match="no bundled rule pack 'vn-sbc'; bundled: ecb-mro, "
                                         "rbi-crr, us-regd, vn-sbv"):
        bundled_pack("vn-sbc")
