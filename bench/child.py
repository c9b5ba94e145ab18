"""One sync in a fresh process: `python -m bench.child PARAMS_JSON BASE_URL`.

Prints one line `BENCH-RESULT {json}`: the run's report, the flow's wall-clock and CPU seconds (from
calling the flow to its return, so interpreter start and imports are not counted) and this process's
peak resident memory. A process per run keeps one run's memory from hiding another's.

The peak is `VmHWM` from /proc/self/status, not `getrusage().ru_maxrss`: Linux folds the RSS of the
process that forked us into our `ru_maxrss` at exec, so a harness holding a large warehouse in
memory would show up as the pipeline's peak (it did: 769 MiB reported for a run whose own peak was
about 260 MiB). `ru_maxrss` is the fallback where there is no /proc.
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
    from sakari_sync.app.runner import quiet_console, register_blocks, run_sync, save_sakari_block
    from sakari_sync.config import SyncParameters
    from sakari_sync.flows import sync  # noqa: F401 - imported before the clock starts, as run_sync would

    params = SyncParameters.model_validate_json(params_json)
    register_blocks()
    save_sakari_block(
        params.sakari.block,
        base_url=base_url,
        account_id="demo-account",
        client_id="demo-client",
        client_secret="demo-secret",  # noqa: S106 - the emulator's published demo credentials
    )
    quiet_console()  # the logging set-up run_sync makes first, also before the clock
    started, cpu = time.perf_counter(), _cpu_seconds()
    report = run_sync(params)
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    result = {
        "report": report.model_dump(mode="json"),
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss_mib": peak_rss_kib() / 1024,
    }
    print(MARKER + json.dumps(result), flush=True)
    return 0


def peak_rss_kib() -> int:
    """This process's own peak resident memory in KiB (see the module docstring)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
