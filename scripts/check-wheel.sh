#!/usr/bin/env bash
# The wheel installs and runs on the oldest and newest supported Python (part of `make test`).
#
# Builds the wheel once from the working tree (tracked and new files, as a clean checkout would
# have them), checks that it carries every file of rulesets/, that the rrr_corebank_sql adapter
# builds on its own (plugins/rrr_corebank_sql/pyproject.toml), then for Python 3.11 and 3.13:
# a fresh venv outside the repository, `pip install` of the wheel, and `rrr demo` in a
# temporary directory, which must succeed and write its reports.
#
# durable-rules 2.0.28 is a source distribution whose C extension calls PyEval_CallObject, a
# name Python 3.13 removed; it is built with CPPFLAGS=-DPyEval_CallObject=PyObject_CallObject
# (the same call; its setup.py overwrites CFLAGS, so the define must go in CPPFLAGS). Each
# interpreter's build is kept in $RRR_WHEEL_CACHE (default .venv/wheel-cache/) so a second run
# does not compile it again; everything else is installed fresh every time.
#
# Interpreters: pyenv's (~/.pyenv/versions/3.X.*/bin/python3.X), else python3.X on PATH. A
# missing one fails the check when CI=true and is skipped with a message otherwise.
set -euo pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
VERSIONS=${RRR_WHEEL_PYTHONS:-"3.11 3.13"}
CACHE=${RRR_WHEEL_CACHE:-$REPO/.venv/wheel-cache}
DURABLE=$(grep -o 'durable-rules==[0-9.]*' "$REPO/pyproject.toml")
export CPPFLAGS="${CPPFLAGS:-} -DPyEval_CallObject=PyObject_CallObject"
export PIP_DISABLE_PIP_VERSION_CHECK=1

say() { echo "check-wheel: $*"; }
fail() { say "FAILED: $*" >&2; exit 1; }
elapsed() { echo "$(( $(date +%s) - $1 )) s"; }

find_python() {  # $1 = 3.11 -> path of a python3.11, or nothing
    local v=$1 found=""
    for p in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v".*/bin/python"$v"; do
        [ -x "$p" ] && found=$p  # the glob sorts, so the last is the newest patch release
    done
    [ -n "$found" ] || found=$(command -v "python$v" || true)
    [ -n "$found" ] && "$found" -c 'import venv, ensurepip' 2>/dev/null && echo "$found"
    return 0
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rrr-wheel-check.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
start=$(date +%s)

# -- the wheel, once ------------------------------------------------------------------------
BUILD_PY=$REPO/.venv/bin/python
[ -x "$BUILD_PY" ] || BUILD_PY=$(command -v python3)
mkdir "$WORK/src"
(cd "$REPO" && git ls-files -z --cached --others --exclude-standard \
    | xargs -0 -I{} sh -c '[ -e "$1" ] && echo "$1"' _ {} \
    | tar -cf - -T -) | tar -xf - -C "$WORK/src"
"$BUILD_PY" -m pip wheel -q --no-deps -w "$WORK/dist" "$WORK/src" >"$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log" >&2; fail "the wheel did not build"; }
WHEEL=$(ls "$WORK"/dist/rrr_engine-*.whl)
say "built $(basename "$WHEEL") in $(elapsed "$start")"

# every rule-pack file of the checkout is in the wheel, under rrr_engine/packs/
"$BUILD_PY" - "$WHEEL" "$WORK/src/rulesets" <<'EOF' || fail "the wheel does not carry the rule packs"
import sys, zipfile
from pathlib import Path
wheel, rulesets = sys.argv[1], Path(sys.argv[2])
have = {n.removeprefix("rrr_engine/packs/") for n in zipfile.ZipFile(wheel).namelist()
        if n.startswith("rrr_engine/packs/")}
want = {p.relative_to(rulesets).as_posix() for p in rulesets.rglob("*") if p.is_file()}
if want - have or not want:
    sys.exit(f"check-wheel: missing from the wheel: {sorted(want - have) or 'rulesets/ is empty'}")
print(f"check-wheel: the wheel carries all {len(want)} rule-pack files")
EOF

# the adapter builds on its own from its pyproject: the adapter, its entry point, no sample bank
"$BUILD_PY" -m pip wheel -q --no-deps -w "$WORK/dist-adapter" "$WORK/src/plugins/rrr_corebank_sql" \
    >"$WORK/build-adapter.log" 2>&1 \
    || { cat "$WORK/build-adapter.log" >&2; fail "the rrr_corebank_sql adapter's wheel did not build"; }
"$BUILD_PY" - "$WORK"/dist-adapter/rrr_corebank_sql-*.whl <<'EOF' || fail "the adapter's wheel is wrong"
import sys, zipfile
wheel = zipfile.ZipFile(sys.argv[1])
names = wheel.namelist()
top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
points = [n for n in names if n.endswith("entry_points.txt")]
text = wheel.read(points[0]).decode() if points else ""
if top != {"rrr_corebank_sql"} or "rrr_corebank_sql/plugin.py" not in names:
    sys.exit(f"check-wheel: the adapter's wheel holds {sorted(top)}, expected rrr_corebank_sql")
if "[rrr_engine]" not in text or "rrr_corebank_sql.plugin" not in text:
    sys.exit("check-wheel: the adapter's wheel has no rrr_engine entry point")
print(f"check-wheel: the adapter's wheel builds on its own ({len(names)} files, entry point "
      "rrr_engine)")
EOF

# -- each interpreter: fresh venv, install, rrr demo outside the repository ------------------
for v in $VERSIONS; do
    step=$(date +%s)
    py=$(find_python "$v")
    if [ -z "$py" ]; then
        msg="no usable python$v (looked in ${PYENV_ROOT:-$HOME/.pyenv}/versions and on PATH)"
        [ "${CI:-}" = "true" ] && fail "$msg; CI needs it"
        say "SKIPPED Python $v: $msg"
        continue
    fi
    tag=cp${v/./}
    venv=$WORK/venv-$tag
    "$py" -m venv "$venv"
    if ! ls "$CACHE/$tag/durable_rules-${DURABLE#durable-rules==}"-*.whl >/dev/null 2>&1; then
        # --no-cache-dir: pip's own cache may hold a build made without the define
        "$venv/bin/python" -m pip wheel -q --no-deps --no-cache-dir -w "$CACHE/$tag" "$DURABLE" \
            >"$WORK/durable-$tag.log" 2>&1 \
            || { cat "$WORK/durable-$tag.log" >&2; fail "$DURABLE did not build on Python $v"; }
        say "Python $v: built $DURABLE into $CACHE/$tag"
    fi
    "$venv/bin/python" -m pip install -q --find-links "$CACHE/$tag" "$WHEEL" \
        >"$WORK/install-$tag.log" 2>&1 \
        || { cat "$WORK/install-$tag.log" >&2; fail "pip install of the wheel failed on Python $v"; }
    run=$WORK/run-$tag
    mkdir "$run"
    (cd "$run" && "$venv/bin/rrr" demo --accounts 300 >"$run/demo.log" 2>&1) \
        || { cat "$run/demo.log" >&2; fail "rrr demo failed on Python $v"; }
    for month in 2025-09 2025-10; do
        for kind in csv xlsx; do
            ls "$run/out/reports/$month"/*."$kind" >/dev/null 2>&1 \
                || { cat "$run/demo.log" >&2; fail "Python $v: no $kind report for $month"; }
        done
    done
    ls "$run/out/reports/2025-09"/*.png >/dev/null 2>&1 \
        || fail "Python $v: no chart for 2025-09"
    # the demo ran the installed package and its bundled packs, not this checkout
    where=$(cd "$run" && "$venv/bin/python" -c \
        'import rrr_engine.bundled as b; print(b.bundled_packs_dir())')
    case $where in "$venv"/*) ;; *) fail "Python $v: packs found at $where, not in the venv";; esac
    say "Python $v ($py): installed, rrr demo wrote its reports in $(elapsed "$step")"
done
say "done in $(elapsed "$start")"
