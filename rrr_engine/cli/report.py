"""``rrr report``: write a maintenance period's reports again from the results database.

The nightly job writes reports itself; this command rewrites them from what is stored (the
latest result versions), e.g. into another folder, or after a run was stopped between a
date's commit and its reports. It is a run of its own: it records a run manifest (command
``rrr report``), whose id every report it writes carries, and, like the nightly, refuses in
production mode a pack that is not approved (the pack rounds the figures it reports).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rrr_engine.cli.common import add_db_argument, add_format_argument, open_store, output_format
from rrr_engine.cli.render import emit
from rrr_engine.errors import InputError, StorageError

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write a period's reports from the results database",
                       description="Write the CSV, XLSX and PNG reports of one maintenance "
                                   "period from the results the nightly job stored.")
    p.add_argument("--period", required=True, help="maintenance period, e.g. 2025-09")
    add_db_argument(p)
    p.add_argument("--out", type=Path, default=Path("out"),
                   help="the reports go to OUT/reports/PERIOD (default: out)")
    p.add_argument("--rules", type=Path, help="rule pack directory (default: the bundled vn-sbv)")
    add_format_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rrr_engine import __version__
    from rrr_engine.cli.common import default_rules, logged_command
    from rrr_engine.engine import Engine
    from rrr_engine.governance.approvals import check_run
    from rrr_engine.reports.period import write_period_reports

    engine = Engine(args.rules or default_rules())
    pack = engine.pack
    # not read-only: the report is a run, recorded in the run log; never creates a store
    with open_store(args) as storage:
        with storage.transaction() as conn:
            approval = check_run(conn, pack, command="report")
        run_id = storage.start_run(
            command=logged_command(getattr(args, "argv", [])), engine_version=__version__,
            ruleset={"id": pack.id, "label": pack.header.label, "sha256": pack.sha256},
            sources={}, date_from=None, date_to=None,
            mode="production" if approval.production else "demo",
            ruleset_approval=approval.state)
        try:
            written = write_period_reports(storage, engine, args.period, args.out / "reports",
                                           run_id=run_id, approval=approval.state)
            if not written:
                raise InputError(f"no stored results for maintenance period {args.period} in "
                                 f"{storage.url}", field="--period")
        except Exception as exc:
            try:
                storage.finish_run(run_id, outcome="error", exit_code=-1, error_message=str(exc))
            except StorageError:
                pass  # the store itself failing must not hide what stopped the run
            raise
        storage.finish_run(run_id, outcome="ok", exit_code=0,
                           summary={"period": args.period, "reports": [str(p) for p in written]})
    files = [{"period": args.period, "path": str(path)} for path in written]
    emit(output_format(args), text="".join(f"{path}\n" for path in written), data=files,
         columns=("period", "path"), rows=files)
    return 0
