"""A durable-rules build that cannot load on Python 3.13 is named, with the command that fixes it.

Built without the define, durable-rules 2.0.28's C extension fails to load on Python 3.13 with
``undefined symbol: PyEval_CallObject`` (measured). The test stands in for such a build with an
import hook raising that error, in a subprocess so this process's modules stay as they are.
"""

import subprocess
import sys

BROKEN_BUILD = r'''
import sys

class BrokenBuild:
    def find_spec(self, name, path=None, target=None):
        if name == "durable_rules_engine":
            raise ImportError(".../durable_rules_engine.cpython-313-x86_64-linux-gnu.so: "
                              "undefined symbol: PyEval_CallObject")

sys.meta_path.insert(0, BrokenBuild())
try:
    import rrr_engine.core.kernel
except ImportError as exc:
    print(exc)
'''


def test_a_durable_rules_build_missing_the_python_3_13_fix_says_how_to_rebuild_it():
    out = subprocess.run([sys.executable, "-c", BROKEN_BUILD], capture_output=True, text=True,
                         check=True).stdout
    assert "CPPFLAGS=-DPyEval_CallObject=PyObject_CallObject pip install --force-reinstall" in out
    assert "durable-rules==2.0.28" in out
