from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.executions.models import JobExecutionLog, RunStatus
from app.schedule.claims import claim_slot, last_claimed_slot, take_over_dead_attempt
from app.tests.support.clock import FakeClock

SLOT = datetime(2025, 3, 15, 0, 0, tzinfo=UTC)
STALE = timedelta(minutes=5)


def _rows(factory: sessionmaker[Session]) -> list[JobExecutionLog]:
    with factory() as session:
        query = select(JobExecutionLog).order_by(JobExecutionLog.attempt)
        return list(session.scalars(query))


def test_only_the_first_claim_of_a_slot_succeeds(
    session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    first = claim_slot(session_factory, slot=SLOT, now=clock(), stale_after=STALE)
    second = claim_slot(session_factory, slot=SLOT, now=clock(), stale_after=STALE)

    assert first is not None
    assert second is None
    assert [(r.slot, r.attempt, r.status) for r in _rows(session_factory)] == [
        (SLOT, 1, RunStatus.RUNNING)
    ]


def test_a_live_run_keeps_its_slot(
    session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    claim_slot(session_factory, slot=SLOT, now=clock(), stale_after=STALE)
    clock.advance(STALE - timedelta(seconds=1))

    taken = take_over_dead_attempt(
        session_factory, slot=SLOT, now=clock(), stale_after=STALE
    )

    assert taken is None


def test_a_dead_run_is_failed_and_its_slot_claimed_as_the_next_attempt(
    session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    dead = claim_slot(session_factory, slot=SLOT, now=clock(), stale_after=STALE)
    clock.advance(STALE + timedelta(seconds=1))

    taken = claim_slot(session_factory, slot=SLOT, now=clock(), stale_after=STALE)
    again = claim_slot(session_factory, slot=SLOT, now=clock(), stale_after=STALE)

    first, second = _rows(session_factory)
    assert (first.id, first.status, first.end_time) == (dead, RunStatus.FAILED, clock())
    assert "no heartbeat since" in (first.error_details or "")
    assert (second.id, second.attempt, second.status) == (taken, 2, RunStatus.RUNNING)
    assert again is None


def test_a_completed_slot_is_not_taken_again(
    session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    claim_slot(session_factory, slot=SLOT, now=clock(), stale_after=STALE)
    with session_factory() as session:
        row = session.scalars(select(JobExecutionLog)).one()
        row.status = RunStatus.COMPLETED
        session.commit()
    clock.advance(timedelta(days=1))

    assert (
        claim_slot(session_factory, slot=SLOT, now=clock(), stale_after=STALE) is None
    )


def test_last_claimed_slot_is_the_newest_scheduled_slot(
    session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    assert last_claimed_slot(session_factory) is None
    for days in (0, 2, 1):
        claim_slot(
            session_factory,
            slot=SLOT + timedelta(days=days),
            now=clock(),
            stale_after=STALE,
        )

    assert last_claimed_slot(session_factory) == SLOT + timedelta(days=2)
