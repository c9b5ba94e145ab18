"""The figures of a benchmark run, computed from the raw results of `bench.cases` and `bench.large`."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.cases import NAIVE_LATENCY
from bench.runs import Sizes


@dataclass
class Figure:
    """One row of the table: a figure, its value, the bar it must meet and whether it does."""

    case: str
    figure: str
    value: float
    bar: str
    met: bool
    detail: str


_CHECK: dict[str, Callable[[float, float], bool]] = {">=": operator.ge, "<=": operator.le, "==": operator.eq}


def _figure(case: str, figure: str, value: float, op: str, bar: float, detail: str) -> Figure:
    return Figure(case, figure, round(value, 4), f"{op} {bar:g}", _CHECK[op](value, bar), detail)


def _rate(run: dict[str, Any]) -> float:
    return float(run["report"]["created"]) / float(run["seconds"])


def _cpu_ms(run: dict[str, Any], count: int) -> float:
    return float(run["cpu_seconds"]) / max(count, 1) * 1000


def compute_figures(raw: dict[str, Any], sizes: Sizes) -> list[Figure]:
    """The issue's table, from the raw results of `bench.cases`."""
    large = raw["large"]
    return [
        *_initial_figures(large["initial"], raw["bare"]),
        _naive_figure(raw["naive"]),
        *_limit_figures(raw["known"], "3 known limit", 50, "told", 0.9, 0.02),
        *_limit_figures(raw["unknown"], "4 unknown limit", 37, "not told", 0.85, 0.05),
        *rerun_figures(large["initial"], large["rerun"], sizes.initial),
        _change_figure(large),
        memory_figure(large["initial"], raw["small"], sizes),
        _transform_figure(raw["transform"]),
        unchanged_figure(large["rerun"], large["read"]),
        _bulk_figure(raw["bulk"], large["initial"]),
        _quiet_figure(large["quiet"], large["first_reconciled"]),
    ]


def compute_large_figures(raw: dict[str, Any], sizes: Sizes) -> list[Figure]:
    """The `--large` section's figures: memory, no-change rerun and unchanged throughput."""
    initial, rerun = raw["initial"], raw["rerun"]
    reruns = rerun_figures(initial, rerun, sizes.initial, initial_how="initial wall (CSV uploads)")
    return [*reruns, memory_figure(initial, raw["small"], sizes), unchanged_figure(rerun, raw["read"])]


def _initial_figures(initial: dict[str, Any], bare: dict[str, Any]) -> list[Figure]:
    ours_rate, bare_rate = _rate(initial), bare["sent"] / bare["seconds"]
    created = initial["report"]["created"]
    return [
        _figure(
            "1 initial sync",
            "our contacts/s ÷ bare httpx client on aiohttp",
            ours_rate / bare_rate,
            ">=",
            0.8,
            f"ours {ours_rate:,.0f}/s ({created:,} created in {initial['seconds']:,.1f} s, end to end); "
            f"bare {bare_rate:,.0f}/s ({bare['sent']:,} posts, "
            f"{_cpu_ms(bare, bare['sent']):.2f} ms CPU/post)",
        ),
        _figure(
            "1b CPU per contact",
            "whole sync's CPU ÷ contacts created (ms)",
            _cpu_ms(initial, created),
            "<=",
            1.5,
            f"{initial['cpu_seconds']:,.1f} s CPU (user + system, the flow's process) for {created:,} "
            f"contacts in {initial['seconds']:,.1f} s",
        ),
    ]


def _naive_figure(naive: dict[str, Any]) -> Figure:
    ours, naive_rate = _rate(naive["ours"]), naive["naive_posted"] / naive["naive_seconds"]
    return _figure(
        "2 vs naive script",
        f"our contacts/s ÷ naive script's, {NAIVE_LATENCY * 1000:.0f} ms latency",
        ours / naive_rate,
        ">=",
        10,
        f"ours {ours:,.0f}/s ({naive['ours']['report']['created']:,} created); "
        f"naive {naive_rate:,.1f}/s ({naive['naive_posted']:,} posts)",
    )


def _limit_figures(
    run: dict[str, Any], case: str, limit: float, told: str, bar: float, share: float
) -> list[Figure]:
    rate = (run["contacts"] - 1) / run["span"] if run["span"] else 0.0
    return [
        _figure(
            case,
            f"creates/s ÷ {limit:g} ({told})",
            rate / limit,
            ">=",
            bar,
            f"{run['contacts']:,} contacts created over {run['span']:,.1f} s = {rate:,.1f}/s; "
            f"learned rate {run['ours']['report']['learned_rate']}",
        ),
        _figure(
            case,
            "share of requests answered 429",
            run["throttled"] / max(run["posts"], 1),
            "<=",
            share,
            f"{run['throttled']:,} of {run['posts']:,} requests",
        ),
    ]


def rerun_figures(
    initial: dict[str, Any], rerun: dict[str, Any], rows: int, initial_how: str = "initial wall"
) -> list[Figure]:
    """Case 5: a no-change full refresh sends nothing and costs a small share of the initial sync."""
    report = rerun["report"]
    skipped = f", {report['skipped']:,} of them skipped by fingerprint" if report.get("skipped") else ""
    return [
        _figure(
            "5 no-change rerun",
            "creates sent",
            rerun["posts"],
            "==",
            0,
            f"{report['unchanged']:,} rows found unchanged{skipped}",
        ),
        _figure(
            "5 no-change rerun",
            f"rerun wall ÷ {initial_how}",
            rerun["seconds"] / initial["seconds"],
            "<=",
            0.03,
            f"{rerun['seconds']:,.1f} s ÷ {initial['seconds']:,.1f} s ({rows:,} rows)",
        ),
    ]


def _change_figure(large: dict[str, Any]) -> Figure:
    change = large["change"]
    return _figure(
        "6 1 % changed",
        "creates sent − payloads that changed",
        change["posts"] - large["payloads_changed"],
        "==",
        0,
        f"{change['posts']:,} sent; {large['payloads_changed']:,} payloads changed "
        f"({large['rows_edited']:,} rows edited or added)",
    )


def memory_figure(large: dict[str, Any], small: dict[str, Any], sizes: Sizes) -> Figure:
    """Case 7: peak memory grows much slower than the rows."""
    return _figure(
        "7 memory",
        f"peak RSS {sizes.initial:,} rows ÷ {sizes.memory_small:,} rows",
        large["peak_rss_mib"] / small["peak_rss_mib"],
        "<=",
        1.3,
        f"{large['peak_rss_mib']:,.0f} MiB ÷ {small['peak_rss_mib']:,.0f} MiB",
    )


def _transform_figure(transform: dict[str, Any]) -> Figure:
    ours, bare = transform["rows"] / transform["ours_seconds"], transform["rows"] / transform["bare_seconds"]
    return _figure(
        "8 transform",
        "transform rows/s ÷ bare phonenumbers loop",
        ours / bare,
        ">=",
        1.0,
        f"ours {ours:,.0f} rows/s, bare {bare:,.0f} rows/s ({transform['rows']:,} rows)",
    )


def unchanged_figure(rerun: dict[str, Any], read: dict[str, Any]) -> Figure:
    """Case 9: the rerun's extract stage (read, fingerprint, compare, stage) vs a bare chunked read."""
    rows = rerun["report"]["extracted"]
    extract = rerun["report"]["stage_seconds"]["extract"]
    ours, bare = rows / extract, read["rows"] / read["seconds"]
    return _figure(
        "9 unchanged throughput",
        "rerun rows/s (extract stage) ÷ bare SELECT into DataFrames",
        ours / bare,
        ">=",
        0.5,
        f"ours {ours:,.0f} rows/s ({rows:,} rows, extract stage {extract:,.1f} s; whole rerun "
        f"{rows / rerun['seconds']:,.0f} rows/s); bare {bare:,.0f} rows/s ({read['seconds']:,.2f} s)",
    )


def _bulk_figure(bulk: dict[str, Any], initial: dict[str, Any]) -> Figure:
    created, per_contact = bulk["report"]["created"], _rate(initial)
    return _figure(
        "10 bulk backfill",
        "contacts/s by CSV upload ÷ per-contact creates",
        _rate(bulk) / per_contact,
        ">=",
        5,
        f"CSV {_rate(bulk):,.0f}/s ({created:,} created in {bulk['seconds']:,.1f} s, {bulk['posts']:,} "
        f"POSTs, lists not mapped); per-contact {per_contact:,.0f}/s (case 1)",
    )


def _quiet_figure(quiet: dict[str, Any], first: dict[str, Any]) -> Figure:
    scope = (quiet["report"].get("reconcile") or {}).get("scope", "no reconcile")
    first_scope = (first["report"].get("reconcile") or {}).get("scope", "no reconcile")
    return _figure(
        "11 quiet run",
        "API requests (token aside), no-change incremental run, reconcile on",
        quiet["requests"],
        "==",
        0,
        f"{quiet['report']['extracted']:,} rows read, reconcile scope {scope}, "
        f"{quiet['seconds']:,.1f} s; the run before it (the first with reconcile on) had scope "
        f"{first_scope}: {first['requests']:,} requests",
    )


def table(figures: list[Figure]) -> str:
    """The figures as a Markdown table."""
    lines = ["| case | figure | value | bar | met | detail |", "|---|---|---|---|---|---|"]
    for f in figures:
        value = f"{f.value:,.0f}" if float(f.value).is_integer() else f"{f.value:.3f}"
        lines.append(
            f"| {f.case} | {f.figure} | {value} | {f.bar} | {'yes' if f.met else '**no**'} | {f.detail} |"
        )
    return "\n".join(lines)
