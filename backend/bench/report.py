"""What a benchmark measured, the ratios and targets derived from it, and its output.

The same rows feed the terminal table (Rich), the Markdown table pasted into
bench/README.md and the JSON file. With several rounds, the tables show each
phase's median round, and each ratio is the median of the rounds' own
ratios: a round's phases run minutes apart, so its ratios suffer less from
a machine whose speed drifts than ratios across rounds would.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.phases import Measured

BASELINE = "baseline (start-up only)"
FLOOR = "floor: INSERT…SELECT"
FLOOR_WITH_STATUS = "floor + status UPDATE"
FIRST = "first run"
RERUN = "rerun, nothing new"
MORE = "run after +1% overdue"
SAMPLE_RUN = "sample: run"
SAMPLE_RERUN = "sample: rerun, nothing new"
SAMPLE_PER_INVOICE = "sample: per-invoice"

MAX_RUN_OVER_FLOOR = 2.0
MIN_RERUN_SPEEDUP = 10.0
MAX_PEAK_RSS_MB = 150.0
MIN_PER_INVOICE_RATIO = 50.0
# "Flat" memory: the largest data set peaks within this much of the smallest.
MAX_RSS_GROWTH = 1.10

PHASE_HEADERS = (
    "phase",
    "batch",
    "wall s",
    "invoices worked",
    "worked/s",
    "data set inv/s",
    "created",
    "created/s",
    "peak RSS MB",
    "client CPU s",
    "load",
)


@dataclass(frozen=True)
class PhaseRow:
    phase: str
    batch_size: int | None
    data_set_invoices: int
    measured: Measured
    round: int = 1

    @property
    def wall_s(self) -> float:
        return self.measured.wall_s

    @property
    def peak_rss_mb(self) -> float:
        return self.measured.peak_rss_kb / 1024

    def per_second(self, count: int) -> float:
        return count / self.wall_s if self.wall_s > 0 else 0.0

    def cells(self) -> list[str]:
        m = self.measured
        return [
            self.phase,
            "" if self.batch_size is None else str(self.batch_size),
            f"{m.wall_s:.3f}",
            f"{m.invoices_processed:,}",
            f"{self.per_second(m.invoices_processed):,.0f}",
            f"{self.per_second(self.data_set_invoices):,.0f}",
            f"{m.notifications_created:,}",
            f"{self.per_second(m.notifications_created):,.0f}",
            f"{self.peak_rss_mb:.1f}",
            f"{m.detail.get('client_cpu_s', 0.0):.1f}",
            f"{m.detail.get('load_1m', 0.0):.1f}",
        ]


@dataclass(frozen=True)
class Check:
    """A correctness cross-check between phases: the counts must be equal."""

    name: str
    expected: int
    actual: int

    @property
    def ok(self) -> bool:
        return self.expected == self.actual


@dataclass(frozen=True)
class Target:
    name: str
    batch_size: int | None
    value: float
    limit: float
    at_most: bool

    @property
    def met(self) -> bool:
        return self.value <= self.limit if self.at_most else self.value >= self.limit


@dataclass
class BenchResult:
    database: str
    server_version: str
    invoices: int
    businesses: int
    overdue: int
    newly_overdue: int
    sample_invoices: int
    sample_businesses: int
    build_s: float
    batch_sizes: tuple[int, ...]
    rounds: int = 1
    row_order: str = "random"
    parallelism: int = 1
    phases: list[PhaseRow] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    def phase(
        self, name: str, batch_size: int | None = None, in_round: int | None = None
    ) -> PhaseRow:
        """A phase's row in one round, or by default its median round.

        The median round is the one of median wall time (of an even number
        of rounds, the faster of the middle two), so its row stays one real
        measurement rather than a blend.
        """
        rows = [
            row
            for row in self.phases
            if row.phase == name
            and row.batch_size == batch_size
            and (in_round is None or row.round == in_round)
        ]
        if not rows:
            raise KeyError(f"no phase {name!r} with batch size {batch_size}")
        ordered = sorted(rows, key=lambda row: row.wall_s)
        return ordered[(len(ordered) - 1) // 2]

    def ratios(self, batch_size: int) -> dict[str, float]:
        """Each ratio's median over the rounds; peak memory is the highest of all."""
        by_round = self.ratios_by_round(batch_size)
        merged = {
            key: statistics.median(ratios[key] for ratios in by_round)
            for key in by_round[0]
        }
        merged["peak_rss_mb"] = max(ratios["peak_rss_mb"] for ratios in by_round)
        return merged

    def ratios_by_round(self, batch_size: int) -> list[dict[str, float]]:
        return [
            self._round_ratios(batch_size, number)
            for number in range(1, self.rounds + 1)
        ]

    def _round_ratios(self, batch_size: int, number: int) -> dict[str, float]:
        def wall(name: str, size: int | None = None) -> float:
            return self.phase(name, size, in_round=number).wall_s

        first = wall(FIRST, batch_size)
        return {
            "run_over_floor": first / wall(FLOOR),
            "run_over_floor_with_status": first / wall(FLOOR_WITH_STATUS),
            "first_over_rerun": first / wall(RERUN, batch_size),
            "per_invoice_over_run": wall(SAMPLE_PER_INVOICE)
            / wall(SAMPLE_RUN, batch_size),
            "per_invoice_over_run_work": _per_invoice_over_run_work(
                wall(SAMPLE_PER_INVOICE),
                run=wall(SAMPLE_RUN, batch_size),
                walk=wall(SAMPLE_RERUN, batch_size),
            ),
            "peak_rss_mb": max(
                row.peak_rss_mb
                for row in self.phases
                if row.batch_size == batch_size and row.round == number
            ),
        }

    def median_rows(self) -> list[PhaseRow]:
        """Each phase's median round, in the order the first round ran them."""
        return [
            self.phase(row.phase, row.batch_size)
            for row in self.phases
            if row.round == 1
        ]

    def targets(self) -> list[Target]:
        targets = []
        for size in self.batch_sizes:
            r = self.ratios(size)
            targets += [
                Target(
                    "first run / floor",
                    size,
                    r["run_over_floor"],
                    MAX_RUN_OVER_FLOOR,
                    True,
                ),
                Target(
                    "first run / rerun",
                    size,
                    r["first_over_rerun"],
                    MIN_RERUN_SPEEDUP,
                    False,
                ),
                Target("peak RSS MB", size, r["peak_rss_mb"], MAX_PEAK_RSS_MB, True),
                Target(
                    "per-invoice / run",
                    size,
                    r["per_invoice_over_run"],
                    MIN_PER_INVOICE_RATIO,
                    False,
                ),
            ]
        return targets

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for row, phase in zip(data["phases"], self.phases, strict=True):
            row["peak_rss_mb"] = phase.peak_rss_mb
        data["ratios"] = {str(size): self.ratios(size) for size in self.batch_sizes}
        data["ratios_by_round"] = {
            str(size): self.ratios_by_round(size) for size in self.batch_sizes
        }
        data["targets"] = [{**asdict(t), "met": t.met} for t in self.targets()]
        data["checks"] = [{**asdict(c), "ok": c.ok} for c in self.checks]
        return data


def _per_invoice_over_run_work(per_invoice: float, *, run: float, walk: float) -> float:
    """Per-invoice time over the run's time less its walk with nothing to do.

    The sample run also pays for walking every open past-due invoice of the
    data set (the sample rerun measures that); this ratio leaves it out, to
    compare what each approach spends on the sample's own rows.
    """
    work = run - walk
    if work <= 0:
        return float("inf")
    return per_invoice / work


def memory_flatness(results: Sequence[BenchResult]) -> list[Target]:
    """Per batch size: peak RSS of the run phases, largest data set over smallest.

    A small data set may never fill a large batch, so each batch size is
    compared with itself only.
    """
    if len(results) < 2:
        return []
    ordered = sorted(results, key=lambda result: result.invoices)
    sizes = set(ordered[0].batch_sizes) & set(ordered[-1].batch_sizes)
    return [
        Target(
            "peak RSS, largest data set / smallest",
            size,
            _peak_run_rss(ordered[-1], size) / _peak_run_rss(ordered[0], size),
            MAX_RSS_GROWTH,
            True,
        )
        for size in sorted(sizes)
    ]


def _peak_run_rss(result: BenchResult, batch_size: int) -> float:
    return max(row.peak_rss_mb for row in result.phases if row.batch_size == batch_size)


def memory_rows(results: Sequence[BenchResult]) -> list[list[str]]:
    """Peak RSS of the run phases for each data set size and batch size."""
    ordered = sorted(results, key=lambda result: result.invoices)
    sizes = sorted({size for result in ordered for size in result.batch_sizes})
    return [
        [f"{result.invoices:,}"]
        + [f"{_peak_run_rss(result, size):.1f}" for size in sizes]
        for result in ordered
    ]


def summary_rows(result: BenchResult) -> list[list[str]]:
    rows = []
    for size in result.batch_sizes:
        r = result.ratios(size)
        rows.append(
            [
                str(size),
                f"{r['run_over_floor']:.2f}",
                f"{r['run_over_floor_with_status']:.2f}",
                f"{r['first_over_rerun']:.1f}",
                f"{r['per_invoice_over_run']:.0f}",
                f"{r['per_invoice_over_run_work']:.0f}",
                f"{r['peak_rss_mb']:.1f}",
            ]
        )
    return rows


SUMMARY_HEADERS = (
    "batch",
    "run/floor",
    "run/(floor+status)",
    "first/rerun",
    "per-invoice/run",
    "per-invoice/(run − walk)",
    "peak RSS MB",
)


def title(result: BenchResult) -> str:
    return (
        f"{result.database} {result.server_version}: {result.invoices:,} invoices, "
        f"{result.businesses:,} businesses, {result.overdue:,} overdue, "
        f"+{result.newly_overdue:,} the next day; sample {result.sample_invoices:,} "
        f"invoices of {result.sample_businesses} businesses; "
        f"data set built in {result.build_s:.0f} s"
        + ("; rows in issue order" if result.row_order == "issued" else "")
        + (
            f"; runs in up to {result.parallelism} parts at once"
            # SQLite always walks in one part.
            if result.parallelism > 1 and result.database == "postgresql"
            else ""
        )
        + (f"; median of {result.rounds} rounds" if result.rounds > 1 else "")
    )


def print_result(result: BenchResult, console: Console) -> None:
    console.print(_table(title(result), PHASE_HEADERS, _phase_rows(result)))
    if result.rounds > 1:
        console.print(
            _table("wall s by round", _round_headers(result), round_rows(result))
        )
    console.print(_table("ratios", SUMMARY_HEADERS, summary_rows(result)))
    for target in result.targets():
        console.print(_target_line(target))
    for check in result.checks:
        mark = "ok" if check.ok else "MISMATCH"
        console.print(f"check {check.name}: {check.actual:,} ({mark})")


def _phase_rows(result: BenchResult) -> list[list[str]]:
    return [row.cells() for row in result.median_rows()]


def _round_headers(result: BenchResult) -> list[str]:
    return ["phase", "batch", *(f"round {n}" for n in range(1, result.rounds + 1))]


def round_rows(result: BenchResult) -> list[list[str]]:
    """Each phase's wall time in every round it ran (the baseline runs once)."""
    rows = []
    for first in (row for row in result.phases if row.round == 1):
        walls = {
            row.round: row.wall_s
            for row in result.phases
            if (row.phase, row.batch_size) == (first.phase, first.batch_size)
        }
        batch = "" if first.batch_size is None else str(first.batch_size)
        cells = [
            f"{walls[n]:.3f}" if n in walls else "" for n in range(1, result.rounds + 1)
        ]
        rows.append([first.phase, batch, *cells])
    return rows


def _table(name: str, headers: Sequence[str], rows: list[list[str]]) -> Table:
    table = Table(title=name)
    for index, header in enumerate(headers):
        table.add_column(header, justify="left" if index == 0 else "right")
    for row in rows:
        table.add_row(*row)
    return table


def _target_line(target: Target) -> str:
    batch = "" if target.batch_size is None else f" (batch {target.batch_size})"
    bound = "<=" if target.at_most else ">="
    verdict = "met" if target.met else "MISSED"
    return (
        f"target {target.name}{batch}: {target.value:.2f}, "
        f"wanted {bound} {target.limit:g}: {verdict}"
    )


def print_flatness(results: Sequence[BenchResult], console: Console) -> None:
    if len(results) < 2:
        return
    sizes = sorted({size for result in results for size in result.batch_sizes})
    headers = ["invoices", *(f"batch {size}: peak RSS MB" for size in sizes)]
    console.print(_table("memory by data set size", headers, memory_rows(results)))
    for target in memory_flatness(results):
        console.print(_target_line(target))


def markdown(result: BenchResult) -> str:
    """The tables as GitHub Markdown, for bench/README.md."""
    return "\n".join(
        [
            f"**{title(result)}**",
            "",
            _markdown_table(PHASE_HEADERS, _phase_rows(result)),
            "",
            *_markdown_rounds(result),
            _markdown_table(SUMMARY_HEADERS, summary_rows(result)),
        ]
    )


def _markdown_rounds(result: BenchResult) -> list[str]:
    if result.rounds == 1:
        return []
    return [_markdown_table(_round_headers(result), round_rows(result)), ""]


def markdown_memory(results: Sequence[BenchResult]) -> str:
    sizes = sorted({size for result in results for size in result.batch_sizes})
    headers = ["invoices", *(f"batch {size}: peak RSS MB" for size in sizes)]
    return _markdown_table(headers, memory_rows(results))


def _markdown_table(headers: Sequence[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |"]
    lines.append("|" + "|".join([":--"] + ["--:"] * (len(headers) - 1)) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def write_json(
    path: Path, results: Sequence[BenchResult], machine: dict[str, Any]
) -> None:
    document = {
        "machine": machine,
        "results": [result.to_dict() for result in results],
        "memory_flatness": [
            {**asdict(target), "met": target.met} for target in memory_flatness(results)
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str))
