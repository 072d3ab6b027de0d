from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.executions.models import JobExecutionLog, RunStatus, RunTrigger
from app.schedule.claims import claim_slot
from app.schedule.service import SchedulerService
from app.schedule.slots import next_slot
from app.settings import Settings
from app.tests.support.clock import FakeClock
from app.tests.support.factories import make_business, make_customer, make_invoice
from app.tests.support.overdue import notification_count

# Daily at 06:00 in Berlin; the clock starts between two slots.
NOW = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)
TODAYS_SLOT = datetime(2025, 3, 15, 5, 0, tzinfo=UTC)
YESTERDAYS_SLOT = TODAYS_SLOT - timedelta(days=1)


def _service(
    factory: sessionmaker[Session], clock: FakeClock, **settings: object
) -> SchedulerService:
    values: dict[str, object] = {
        "overdue_invoice_schedule_value": "0 6 * * *",
        "overdue_invoice_timezone": "Europe/Berlin",
        "overdue_invoice_stale_run_seconds": "60",
        **settings,
    }
    return SchedulerService(Settings.model_validate(values), factory, clock=clock)


def _scheduled_rows(factory: sessionmaker[Session]) -> list[JobExecutionLog]:
    with factory() as session:
        query = select(JobExecutionLog).where(
            JobExecutionLog.trigger == RunTrigger.SCHEDULE
        )
        return list(session.scalars(query.order_by(JobExecutionLog.start_time)))


def _ran_before(factory: sessionmaker[Session], slot: datetime) -> None:
    claim_slot(factory, slot=slot, now=slot, stale_after=timedelta(minutes=1))
    with factory() as session:
        row = session.scalars(select(JobExecutionLog)).one()
        row.status = RunStatus.COMPLETED
        session.commit()


@pytest.fixture
def now_clock() -> FakeClock:
    return FakeClock(NOW)


def test_a_slot_runs_once_however_many_processes_reach_it(
    session: Session,
    session_factory: sessionmaker[Session],
    now_clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    customer = make_customer(session, business=make_business(session))
    make_invoice(session, customer=customer, due_date=NOW.date() - timedelta(days=3))
    session.commit()
    replicas = [_service(session_factory, now_clock) for _ in range(3)]

    with caplog.at_level(logging.INFO, logger="app.schedule.service"):
        reports = [replica.run_due_slot() for replica in replicas]

    assert [report is not None for report in reports] == [True, False, False]
    assert notification_count(session_factory) == 1
    assert [r.slot for r in _scheduled_rows(session_factory)] == [TODAYS_SLOT]
    skipped = [r for r in caplog.records if getattr(r, "event", "") == "slot_skipped"]
    assert len(skipped) == 2


def test_first_start_owes_nothing(
    session_factory: sessionmaker[Session], now_clock: FakeClock
) -> None:
    assert _service(session_factory, now_clock).catch_up() is None
    assert _scheduled_rows(session_factory) == []


def test_missed_slots_coalesce_into_one_run_of_the_latest(
    session_factory: sessionmaker[Session], now_clock: FakeClock
) -> None:
    _ran_before(session_factory, YESTERDAYS_SLOT - timedelta(days=3))

    report = _service(session_factory, now_clock).catch_up()
    again = _service(session_factory, now_clock).catch_up()

    assert report is not None and report.status == RunStatus.COMPLETED
    assert again is None
    slots = [r.slot for r in _scheduled_rows(session_factory)]
    assert slots == [YESTERDAYS_SLOT - timedelta(days=3), TODAYS_SLOT]


def test_a_restart_with_nothing_missed_runs_nothing(
    session_factory: sessionmaker[Session], now_clock: FakeClock
) -> None:
    _ran_before(session_factory, TODAYS_SLOT)

    report = _service(session_factory, now_clock).catch_up()

    assert report is None
    assert len(_scheduled_rows(session_factory)) == 1


def test_a_slot_whose_process_died_runs_again_with_notifications_once(
    session: Session, session_factory: sessionmaker[Session], now_clock: FakeClock
) -> None:
    customer = make_customer(session, business=make_business(session))
    for _ in range(3):
        make_invoice(
            session, customer=customer, due_date=NOW.date() - timedelta(days=3)
        )
    session.commit()
    dead = claim_slot(
        session_factory, slot=TODAYS_SLOT, now=NOW, stale_after=timedelta(minutes=1)
    )
    now_clock.advance(timedelta(minutes=2))

    report = _service(session_factory, now_clock).catch_up()

    assert report is not None and report.status == RunStatus.COMPLETED
    rows = _scheduled_rows(session_factory)
    assert [(r.id, r.attempt, r.status) for r in rows] == [
        (dead, 1, RunStatus.FAILED),
        (report.run_id, 2, RunStatus.COMPLETED),
    ]
    assert notification_count(session_factory) == 3


def test_the_timer_fires_at_the_next_slot(
    session_factory: sessionmaker[Session], now_clock: FakeClock
) -> None:
    service = _service(session_factory, now_clock)

    service.start()
    try:
        next_run = service.next_run_time()
    finally:
        service.shutdown()

    assert next_run == next_slot(service.schedule, datetime.now(UTC))
    assert service.is_running is False


def test_the_startup_log_names_the_schedule_in_force(
    session_factory: sessionmaker[Session],
    now_clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    service = _service(
        session_factory, now_clock, overdue_invoice_schedule_value="0 0 31 2 *"
    )

    with caplog.at_level(logging.INFO, logger="app.schedule.service"):
        service.start()
        service.shutdown()

    started = [
        r for r in caplog.records if getattr(r, "event", "") == "scheduler_started"
    ]
    assert (
        started[0].getMessage()
        == "scheduler started: every day at 00:00 (Europe/Berlin)"
    )
