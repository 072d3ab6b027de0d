"""The overdue run against a plain-Python oracle of the rule, on generated data."""

from __future__ import annotations

import shutil
import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db.engine import make_engine, make_session_factory
from app.invoices.models import InvoiceStatus
from app.notifications.models import Notification
from app.overdue.rule import days_overdue, is_overdue, local_today, reminder_stage
from app.overdue.run import RunOptions, RunReport, run_overdue_invoices
from app.tests.support.clock import FakeClock
from app.tests.support.factories import make_business, make_customer, make_invoice

ZONES = [
    None,
    "UTC",
    "Pacific/Auckland",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
]
DEFAULT_ZONE = "Europe/Berlin"


@dataclass(frozen=True)
class InvoiceSpec:
    business: int
    status: InvoiceStatus
    due_offset: int | None
    total: Decimal
    paid_share: int
    deleted: bool
    paused: bool

    @property
    def amount_paid(self) -> Decimal:
        return (self.total * self.paid_share / 4).quantize(Decimal("0.01"))


invoice_specs = st.builds(
    InvoiceSpec,
    business=st.integers(0, 2),
    status=st.sampled_from(list(InvoiceStatus)),
    due_offset=st.one_of(st.none(), st.integers(-3, 70)),
    total=st.decimals(min_value=0, max_value=10_000, places=2),
    paid_share=st.integers(0, 4),
    deleted=st.booleans(),
    paused=st.booleans(),
)
instants = st.datetimes(
    min_value=datetime(2023, 12, 20),
    max_value=datetime(2025, 3, 5),
    timezones=st.just(UTC),
)
stage_sets = st.lists(
    st.sampled_from([1, 2, 7, 14, 30, 60]), min_size=1, max_size=4, unique=True
)


@dataclass
class World:
    factory: sessionmaker[Session]
    ids: list[int]
    specs: list[InvoiceSpec]
    zones: list[str | None]
    anchor: date


def _build(
    template: Path,
    tmp: Path,
    zones: list[str | None],
    specs: list[InvoiceSpec],
    anchor: date,
) -> World:
    path = tmp / f"{uuid.uuid4().hex}.sqlite3"
    shutil.copyfile(template, path)
    factory = make_session_factory(make_engine(f"sqlite:///{path}"))
    ids = []
    with factory() as session:
        businesses = [
            make_business(session, name=f"B{n}", timezone="UTC") for n in range(3)
        ]
        for business, zone in zip(businesses, zones, strict=True):
            business.timezone = zone
        customers = {
            (n, paused): make_customer(
                session, business=b, name=f"C{n}{paused}", reminders_paused=paused
            )
            for n, b in enumerate(businesses)
            for paused in (False, True)
        }
        for spec in specs:
            due = (
                None
                if spec.due_offset is None
                else anchor - timedelta(days=spec.due_offset)
            )
            invoice = make_invoice(
                session,
                customer=customers[(spec.business, spec.paused)],
                status=spec.status,
                due_date=due,
                issue_date=anchor - timedelta(days=90),
                total=spec.total,
                amount_paid=spec.amount_paid,
                deleted_at=datetime(2020, 1, 1, tzinfo=UTC) if spec.deleted else None,
            )
            ids.append(invoice.id)
        session.commit()
    return World(factory, ids, specs, zones, anchor)


def _today(world: World, spec: InvoiceSpec, instant: datetime) -> date:
    zone = world.zones[spec.business] or DEFAULT_ZONE
    return local_today(instant, zoneinfo.ZoneInfo(zone))


def _oracle_stage(
    world: World, spec: InvoiceSpec, instant: datetime, stages: tuple[int, ...]
) -> int | None:
    today = _today(world, spec, instant)
    due = (
        None
        if spec.due_offset is None
        else world.anchor - timedelta(days=spec.due_offset)
    )
    overdue = is_overdue(
        status=spec.status,
        due_date=due,
        balance_due=spec.total - spec.amount_paid,
        deleted=spec.deleted,
        customer_paused=spec.paused,
        today=today,
    )
    if not overdue or due is None:
        return None
    return reminder_stage(days_overdue(due, today), stages)


def _run(
    world: World, instant: datetime, stages: tuple[int, ...], batch_size: int
) -> RunReport:
    options = RunOptions(
        reminder_days=stages, batch_size=batch_size, default_timezone=DEFAULT_ZONE
    )
    return run_overdue_invoices(world.factory, options, clock=FakeClock(instant))


def _notified(world: World) -> list[tuple[int, int]]:
    with world.factory() as session:
        return sorted(
            session.execute(select(Notification.invoice_id, Notification.stage)).all()
        )


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the module: each example makes its own uniquely named file."""
    return tmp_path_factory.mktemp("overdue-properties")


@settings(max_examples=40)
@given(
    specs=st.lists(invoice_specs, max_size=25),
    zones=st.lists(st.sampled_from(ZONES), min_size=3, max_size=3),
    instant=instants,
    stages=stage_sets,
    batch_size=st.integers(1, 30),
)
def test_one_run_notifies_exactly_the_oracle_set(
    sqlite_template: Path,
    tmp: Path,
    specs: list[InvoiceSpec],
    zones: list[str | None],
    instant: datetime,
    stages: list[int],
    batch_size: int,
) -> None:
    world = _build(sqlite_template, tmp, zones, specs, instant.date())

    report = _run(world, instant, tuple(stages), batch_size)

    expected = sorted(
        (invoice_id, stage)
        for invoice_id, spec in zip(world.ids, specs, strict=True)
        if (stage := _oracle_stage(world, spec, instant, tuple(stages))) is not None
    )
    assert _notified(world) == expected
    assert report.notifications_created == len(expected)
    assert report.errors.count == 0


@settings(max_examples=30)
@given(
    specs=st.lists(invoice_specs, max_size=15),
    zones=st.lists(st.sampled_from(ZONES), min_size=3, max_size=3),
    start=instants,
    steps_hours=st.lists(st.integers(0, 24 * 20), min_size=1, max_size=6),
    stages=stage_sets,
    batch_size=st.integers(1, 10),
)
def test_any_sequence_of_runs_notifies_each_reached_stage_at_most_once(
    sqlite_template: Path,
    tmp: Path,
    specs: list[InvoiceSpec],
    zones: list[str | None],
    start: datetime,
    steps_hours: list[int],
    stages: list[int],
    batch_size: int,
) -> None:
    world = _build(sqlite_template, tmp, zones, specs, start.date())
    expected: dict[int, set[int]] = {invoice_id: set() for invoice_id in world.ids}

    instant = start
    for hours in steps_hours:
        instant += timedelta(hours=hours)
        _run(world, instant, tuple(stages), batch_size)
        for invoice_id, spec in zip(world.ids, specs, strict=True):
            stage = _oracle_stage(world, spec, instant, tuple(stages))
            if stage is not None and not any(
                had >= stage for had in expected[invoice_id]
            ):
                expected[invoice_id].add(stage)

    notified = _notified(world)
    assert len(notified) == len(set(notified))
    assert notified == sorted(
        (i, s) for i, stages_had in expected.items() for s in stages_had
    )


@settings(max_examples=25)
@given(
    offsets=st.lists(st.integers(1, 400), min_size=1, max_size=10),
    zone=st.sampled_from(ZONES[1:]),
    instant=instants,
)
def test_days_overdue_in_the_title_is_counted_in_the_business_time_zone(
    sqlite_template: Path,
    tmp: Path,
    offsets: list[int],
    zone: str,
    instant: datetime,
) -> None:
    specs = [
        InvoiceSpec(0, InvoiceStatus.SENT, o, Decimal("10"), 0, False, False)
        for o in offsets
    ]
    world = _build(sqlite_template, tmp, [zone, None, None], specs, instant.date())

    report = _run(world, instant, (1,), 4)

    today = local_today(instant, zoneinfo.ZoneInfo(zone))
    expected = {
        invoice_id: days_overdue(instant.date() - timedelta(days=o), today)
        for invoice_id, o in zip(world.ids, offsets, strict=True)
        if days_overdue(instant.date() - timedelta(days=o), today) >= 1
    }
    assert report.notifications_created == len(expected)
    with world.factory() as session:
        titles = dict(
            session.execute(select(Notification.invoice_id, Notification.title)).all()
        )
    assert set(titles) == set(expected)
    for invoice_id, days in expected.items():
        unit = "day" if days == 1 else "days"
        assert titles[invoice_id].endswith(f" is {days} {unit} overdue")
