"""One sync in a fresh process: `python -m bench.child PARAMS_JSON BASE_URL`.

Prints one line `BENCH-RESULT {json}`: the run's report, the flow's wall-clock and CPU seconds (from
calling the flow to its return, so interpreter start and imports are not counted) and this process's peak
resident memory (`getrusage(RUSAGE_SELF).ru_maxrss`, which is the whole process's high-water mark).
A process per run keeps one run's memory from hiding another's.
"""

from __future__ import annotations

import json
import resource
import sys
import time

MARKER = "BENCH-RESULT "
BLOCK = "sakari-bench"


def main(argv: list[str]) -> int:
    params_json, base_url = argv
    from sakari_sync.config import SyncParameters
    from sakari_sync.runner import register_blocks, run_sync, save_sakari_block

    params = SyncParameters.model_validate_json(params_json)
    register_blocks()
    save_sakari_block(
        params.sakari.block,
        base_url=base_url,
        account_id="demo-account",
        client_id="demo-client",
        client_secret="demo-secret",  # noqa: S106 - the emulator's published demo credentials
    )
    started, cpu = time.perf_counter(), _cpu_seconds()
    report = run_sync(params)
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    result = {
        "report": report.model_dump(mode="json"),
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss_mib": peak_kib / 1024,
    }
    print(MARKER + json.dumps(result), flush=True)
    return 0


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
