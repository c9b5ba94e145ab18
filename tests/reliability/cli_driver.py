"""Run `sakari-sync run --config FILE --json` for several config files in one fresh process.

`python -m tests.reliability.cli_driver FOLDER...`: for each folder (holding `sync.yaml`), call the
CLI's `main` as the console script would, with stdout and stderr captured the way a terminal would see
them (an exception escaping `main` is printed as Python would print it), the debug log in the folder,
and write `ended.json` there: exit code, stdout, stderr. One process start serves every case.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import traceback
from pathlib import Path

from sakari_sync.app.cli import main


def run_case(folder: Path) -> dict[str, object]:
    os.environ["SAKARI_SYNC_DEBUG_LOG"] = str(folder / "sakari-sync-debug.log")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code: object = main(["run", "--config", str(folder / "sync.yaml"), "--json"])
        except SystemExit as exc:
            code = exc.code
        except BaseException:  # what the interpreter would print for an uncaught exception
            traceback.print_exc()
            code = 1
    return {"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


if __name__ == "__main__":
    for name in sys.argv[1:]:
        folder = Path(name)
        (folder / "ended.json").write_text(json.dumps(run_case(folder)))
