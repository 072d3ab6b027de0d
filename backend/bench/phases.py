"""Each phase runs in a fresh child process, so its peak memory is its own.

The child imports the same modules whatever the phase, opens its own engine,
times only the phase itself (not its start-up) and reports the peak resident
set size of its whole life (`ru_maxrss`), start-up included; the `baseline`
phase measures that start-up alone.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from time import perf_counter

from sqlalchemy import Engine, text

from app.clock import Clock
from app.db.engine import make_engine, make_session_factory
from app.executions.models import RunStatus
from app.overdue.run import RunOptions, run_overdue_invoices
from bench.floor import FloorStatements, run_floor
from bench.naive import run_per_invoice


@dataclass(frozen=True)
class PhaseSpec:
    kind: str
    database_url: str
    instant: datetime
    stages: tuple[int, ...] = (1,)
    batch_size: int = 100
    default_timezone: str = "UTC"
    profile_to: Path | None = None
    parallelism: int = RunOptions.parallelism


@dataclass(frozen=True)
class Measured:
    wall_s: float
    invoices_processed: int = 0
    notifications_created: int = 0
    statuses_changed: int = 0
    peak_rss_kb: int = 0
    detail: dict[str, float] = field(default_factory=dict)


class PhaseFailed(Exception):
    """A measured phase did not finish its work cleanly; its timing is worthless."""


def measure(spec: PhaseSpec, start_method: str = "spawn") -> Measured:
    """Run one phase in a new child process and return what it measured."""
    context = multiprocessing.get_context(start_method)
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(run_phase, spec).result()


def run_phase(spec: PhaseSpec) -> Measured:
    """The child's side: run the phase, then read the peak RSS of this process."""
    engine = make_engine(spec.database_url)
    cpu_before = _cpu_s()
    try:
        measured = _profiled(PHASES[spec.kind], engine, spec)
    finally:
        engine.dispose()
    # Other work on the machine skews timings; the load average says how much.
    detail = {
        **measured.detail,
        "client_cpu_s": _cpu_s() - cpu_before,
        "load_1m": os.getloadavg()[0],
    }
    return replace(measured, peak_rss_kb=peak_rss_kb(), detail=detail)


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_kb() -> int:
    """The peak resident set size of this process's own address space, in KiB.

    On Linux ru_maxrss survives exec: a spawned child starts as a fork of
    its parent, so ru_maxrss would report at least the parent's peak. VmHWM
    belongs to the address space the child made after exec.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _profiled(
    phase: Callable[[Engine, PhaseSpec], Measured], engine: Engine, spec: PhaseSpec
) -> Measured:
    if spec.profile_to is None:
        return phase(engine, spec)
    from pyinstrument import Profiler  # only for --profile; not a dependency

    profiler = Profiler(interval=0.001)
    profiler.start()
    try:
        return phase(engine, spec)
    finally:
        profiler.stop()
        spec.profile_to.write_text(profiler.output_text(unicode=True, color=False))


def _baseline(engine: Engine, spec: PhaseSpec) -> Measured:
    start = perf_counter()
    with engine.connect() as connection:
        connection.execute(text("SELECT count(*) FROM businesses")).scalar_one()
    return Measured(wall_s=perf_counter() - start)


def _run(engine: Engine, spec: PhaseSpec) -> Measured:
    options = RunOptions(
        reminder_days=spec.stages,
        batch_size=spec.batch_size,
        default_timezone=spec.default_timezone,
        parallelism=spec.parallelism,
    )
    factory = make_session_factory(engine)
    start = perf_counter()
    report = run_overdue_invoices(factory, options, clock=_clock(spec.instant))
    wall_s = perf_counter() - start
    if report.status is not RunStatus.COMPLETED or report.errors.count:
        raise PhaseFailed(f"run ended {report.status}: {report.errors.render()}")
    return Measured(
        wall_s=wall_s,
        invoices_processed=report.invoices_processed,
        notifications_created=report.notifications_created,
        statuses_changed=report.statuses_changed,
        detail={"batches": report.batches, "parts": report.parts},
    )


def _clock(instant: datetime) -> Clock:
    """The run instant, moving on in real time so heartbeats and durations are real."""
    started = perf_counter()
    return lambda: instant + timedelta(seconds=perf_counter() - started)


def _floor(engine: Engine, spec: PhaseSpec) -> Measured:
    statements = FloorStatements(
        engine,
        instant=spec.instant,
        stages=spec.stages,
        default_timezone=spec.default_timezone,
    )
    times = run_floor(statements, engine)
    return Measured(
        wall_s=times.insert_s,
        invoices_processed=times.notifications_created,
        notifications_created=times.notifications_created,
        statuses_changed=times.statuses_changed,
        detail={"status_update_s": times.update_s},
    )


def _per_invoice(engine: Engine, spec: PhaseSpec) -> Measured:
    factory = make_session_factory(engine)
    start = perf_counter()
    result = run_per_invoice(
        factory,
        instant=spec.instant,
        stages=spec.stages,
        default_timezone=spec.default_timezone,
    )
    return Measured(
        wall_s=perf_counter() - start,
        invoices_processed=result.invoices_examined,
        notifications_created=result.notifications_created,
        statuses_changed=result.statuses_changed,
    )


PHASES: dict[str, Callable[[Engine, PhaseSpec], Measured]] = {
    "baseline": _baseline,
    "run": _run,
    "floor": _floor,
    "per_invoice": _per_invoice,
}
