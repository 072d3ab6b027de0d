"""One benchmark on one data set: every phase, in order, on the same rows.

1. build the data set, remember what the phases change;
2. the floor at the run instant, then back to the data set as built;
3. for each batch size: the first run, a rerun with nothing new, a run one
   day later (the invoices due "today" became overdue), then back;
4. the sample: every customer outside a few businesses is paused, so only
   their invoices are due work; the real run (then its rerun, which walks
   the same rows with nothing to do) and the per-invoice reference each
   start from that state, then the pauses are put back.

With several rounds, steps 2 to 4 are repeated on the same data set, each
round starting from it as built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from time import perf_counter

from sqlalchemy import Engine, text

from app.overdue.run import RunOptions
from bench import state
from bench.dataset import DatasetSpec, build
from bench.floor import FloorStatements
from bench.phases import Measured, PhaseSpec, measure
from bench.report import (
    BASELINE,
    FIRST,
    FLOOR,
    FLOOR_WITH_STATUS,
    MORE,
    RERUN,
    SAMPLE_PER_INVOICE,
    SAMPLE_RERUN,
    SAMPLE_RUN,
    BenchResult,
    Check,
    PhaseRow,
)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BenchConfig:
    database_url: str
    invoices: int
    businesses: int = 1000
    batch_sizes: tuple[int, ...] = (100, 1000)
    sample: int = 10_000
    stages: tuple[int, ...] = (1,)
    overdue_fraction: float = 0.10
    newly_due_fraction: float = 0.01
    start_method: str = "spawn"
    profile_dir: Path | None = None
    rounds: int = 1
    row_order: str = "random"
    parallelism: int = RunOptions.parallelism


class Scenario:
    def __init__(self, config: BenchConfig, engine: Engine, progress: Progress) -> None:
        self.config = config
        self.engine = engine
        self.progress = progress
        self.spec = DatasetSpec(
            invoices=config.invoices,
            businesses=config.businesses,
            overdue_fraction=config.overdue_fraction,
            newly_due_fraction=config.newly_due_fraction,
            row_order=config.row_order,
        )
        self.today = self.spec.instant
        self.next_day = self.spec.instant + timedelta(days=1)
        self.result = BenchResult(
            database=engine.dialect.name,
            server_version=_server_version(engine),
            invoices=config.invoices,
            businesses=config.businesses,
            overdue=0,
            newly_overdue=0,
            sample_invoices=0,
            sample_businesses=0,
            build_s=0.0,
            batch_sizes=config.batch_sizes,
            rounds=config.rounds,
            row_order=config.row_order,
            parallelism=config.parallelism,
        )
        self.round = 1

    def run(self) -> BenchResult:
        self._build()
        self._measure(BASELINE, "baseline")
        for number in range(1, self.config.rounds + 1):
            self.round = number
            self._floor()
            for batch_size in self.config.batch_sizes:
                self._runs(batch_size)
            self._sample()
        return self.result

    def _build(self) -> None:
        start = perf_counter()
        state.claim(self.engine)
        build(self.engine, self.spec, self.progress)
        state.remember(self.engine, self.config.invoices)
        self.result.build_s = perf_counter() - start
        self.at_today = self._statements(self.today)
        self.at_next_day = self._statements(self.next_day)
        self.result.overdue = self._pending(self.at_today)

    def _statements(self, instant: datetime) -> FloorStatements:
        return FloorStatements(
            self.engine,
            instant=instant,
            stages=self.config.stages,
            default_timezone=self.spec.default_timezone,
        )

    def _pending(self, statements: FloorStatements) -> int:
        with self.engine.connect() as connection:
            return statements.pending(connection)

    def _floor(self) -> None:
        floor = self._measure(FLOOR, "floor")
        self._check(
            "floor created every pending notification",
            self.result.overdue,
            floor.notifications_created,
        )
        with_status = floor.wall_s + floor.detail["status_update_s"]
        self._record(FLOOR_WITH_STATUS, None, replace(floor, wall_s=with_status))
        state.save_keys(self.engine, state.FLOOR_KEYS)
        state.reset(self.engine)

    def _runs(self, batch_size: int) -> None:
        first = self._measure(FIRST, "run", batch_size=batch_size)
        self._check(
            f"batch {batch_size}: first run created as many as the floor",
            self.result.overdue,
            first.notifications_created,
        )
        self._check(
            f"batch {batch_size}: first run keys not in the floor's, or back",
            0,
            state.keys_differing(self.engine, state.FLOOR_KEYS),
        )
        rerun = self._measure(RERUN, "run", batch_size=batch_size)
        self._check(
            f"batch {batch_size}: rerun created", 0, rerun.notifications_created
        )
        self.result.newly_overdue = self._pending(self.at_next_day)
        more = self._measure(MORE, "run", batch_size=batch_size, instant=self.next_day)
        self._check(
            f"batch {batch_size}: next-day run created the newly overdue",
            self.result.newly_overdue,
            more.notifications_created,
        )
        self._check(
            f"batch {batch_size}: pending after the next-day run",
            0,
            self._pending(self.at_next_day),
        )
        state.reset(self.engine)

    def _sample(self) -> None:
        businesses = self._sample_businesses()
        state.pause_all_but(self.engine, businesses)
        expected = self._pending(self.at_today)
        self.result.sample_invoices = expected
        self.result.sample_businesses = len(businesses)
        for batch_size in self.config.batch_sizes:
            run = self._measure(SAMPLE_RUN, "run", batch_size=batch_size)
            self._check(
                f"batch {batch_size}: sample run created",
                expected,
                run.notifications_created,
            )
            walk = self._measure(SAMPLE_RERUN, "run", batch_size=batch_size)
            self._check(
                f"batch {batch_size}: sample rerun created",
                0,
                walk.notifications_created,
            )
            state.save_keys(self.engine, state.SAMPLE_KEYS)
            state.reset(self.engine)
        per_invoice = self._measure(SAMPLE_PER_INVOICE, "per_invoice")
        self._check("per-invoice created", expected, per_invoice.notifications_created)
        self._check(
            "per-invoice keys not in the run's, or back",
            0,
            state.keys_differing(self.engine, state.SAMPLE_KEYS),
        )
        state.reset(self.engine)
        state.restore_pauses(self.engine)

    def _sample_businesses(self) -> list[int]:
        """The first businesses by id whose pending notifications reach the sample."""
        chosen: list[int] = []
        total = 0
        with self.engine.connect() as connection:
            counts = self.at_today.pending_by_business(connection)
        for business_id, count in counts:
            if total >= self.config.sample:
                break
            chosen.append(business_id)
            total += count
        return chosen

    def _measure(
        self,
        name: str,
        kind: str,
        *,
        batch_size: int | None = None,
        instant: datetime | None = None,
    ) -> Measured:
        spec = PhaseSpec(
            kind=kind,
            database_url=str(self.engine.url.render_as_string(hide_password=False)),
            instant=instant or self.today,
            stages=self.config.stages,
            batch_size=batch_size or 1,
            default_timezone=self.spec.default_timezone,
            profile_to=self._profile_path(name, kind, batch_size),
            parallelism=self.config.parallelism,
        )
        label = name if batch_size is None else f"{name} (batch {batch_size})"
        if self.config.rounds > 1:
            label = f"round {self.round}: {label}"
        self.progress(f"measuring {label} ...")
        measured = measure(spec, self.config.start_method)
        self._record(name, batch_size, measured)
        self.progress(f"{label}: {measured.wall_s:.3f} s")
        return measured

    def _record(self, name: str, batch_size: int | None, measured: Measured) -> None:
        row = PhaseRow(name, batch_size, self.config.invoices, measured, self.round)
        self.result.phases.append(row)

    def _check(self, name: str, expected: int, actual: int) -> None:
        if self.config.rounds > 1:
            name = f"round {self.round}: {name}"
        check = Check(name, expected, actual)
        self.result.checks.append(check)
        if not check.ok:
            self.progress(f"CHECK FAILED: {name}: expected {expected}, got {actual}")

    def _profile_path(
        self, name: str, kind: str, batch_size: int | None
    ) -> Path | None:
        directory = self.config.profile_dir
        if directory is None or kind != "run":
            return None
        directory.mkdir(parents=True, exist_ok=True)
        slug = (
            name.replace(" ", "-").replace(",", "").replace("%", "pct").replace(":", "")
        )
        rounds = f"-round{self.round}" if self.config.rounds > 1 else ""
        return directory / (
            f"{self.engine.dialect.name}-{self.config.invoices}-{slug}-"
            f"batch{batch_size}{rounds}.txt"
        )


def _server_version(engine: Engine) -> str:
    query = (
        "SHOW server_version"
        if engine.dialect.name == "postgresql"
        else ("SELECT sqlite_version()")
    )
    with engine.connect() as connection:
        return str(connection.execute(text(query)).scalar_one())
