"""The overdue rule: which invoices are overdue, by how many days, at which stage.

Everything date-like is computed here in Python (a business's "today", the
due-date threshold of each reminder stage), so the statements compare plain
dates and read the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Connection,
    Date,
    Float,
    Integer,
    Select,
    SQLColumnExpression,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    tablesample,
    text,
    tuple_,
)
from sqlalchemy.orm import Session

from app.businesses.models import Business
from app.customers.models import Customer
from app.invoices.models import (
    CLOSED_STATUSES,
    Invoice,
    InvoiceStatus,
    open_invoice_condition,
)
from app.notifications.models import PAYMENT_OVERDUE, Notification

logger = logging.getLogger(__name__)

# Statuses the run moves to `overdue`; partial invoices keep their status.
STATUSES_BECOMING_OVERDUE = (InvoiceStatus.SENT, InvoiceStatus.VIEWED)


def local_today(instant: datetime, zone: zoneinfo.ZoneInfo) -> date:
    return instant.astimezone(zone).date()


def days_overdue(due_date: date, today: date) -> int:
    return (today - due_date).days


def reminder_stage(days: int, stages: tuple[int, ...]) -> int | None:
    """The highest stage reached after `days` days overdue, or None before the first."""
    reached = [stage for stage in stages if stage <= days]
    return max(reached) if reached else None


def is_overdue(
    *,
    status: InvoiceStatus,
    due_date: date | None,
    balance_due: Decimal,
    deleted: bool,
    customer_paused: bool,
    today: date,
) -> bool:
    """The rule in plain Python, as the statements below apply it."""
    return (
        due_date is not None
        and due_date < today
        and status not in CLOSED_STATUSES
        and not deleted
        and balance_due > 0
        and not customer_paused
    )


@dataclass(frozen=True)
class ZoneGroup:
    """Businesses that share a time zone, and so one "today" for a run."""

    zone: str
    today: date
    stored_values: tuple[str | None, ...]

    def business_filter(self) -> ColumnElement[bool]:
        named = [value for value in self.stored_values if value is not None]
        condition = Business.timezone.in_(named)
        if None in self.stored_values:
            return or_(condition, Business.timezone.is_(None))
        return condition


def zone_groups(
    session: Session, instant: datetime, default_zone: str
) -> list[ZoneGroup]:
    """One group per effective time zone; unknown or empty zones use the default."""
    stored = session.scalars(select(Business.timezone).distinct()).all()
    by_zone: dict[str, list[str | None]] = defaultdict(list)
    for value in stored:
        by_zone[_effective_zone(value, default_zone)].append(value)
    return [
        ZoneGroup(zone, local_today(instant, zoneinfo.ZoneInfo(zone)), tuple(values))
        for zone, values in sorted(by_zone.items())
    ]


def _effective_zone(value: str | None, default_zone: str) -> str:
    if not value:
        return default_zone
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        logger.warning(
            "business time zone unknown, using the default",
            extra={"event": "business_timezone_unknown", "timezone": value},
        )
        return default_zone
    return value


@dataclass(frozen=True)
class StageThresholds:
    """A stage's threshold is its latest due date: due_date <= it ⇔ days >= stage."""

    today: date
    stages: tuple[int, ...]

    def threshold(self, stage: int) -> date:
        return self.today - timedelta(days=stage)

    def stage_expression(self) -> ColumnElement[Any]:
        whens = [
            (Invoice.due_date <= self.threshold(stage), stage)
            for stage in sorted(self.stages, reverse=True)
        ]
        return case(*whens, else_=None)


@dataclass(frozen=True, order=True)
class WalkKey:
    """Where a walk over open invoices stopped: the last row's (due_date, id).

    Keys order as the walk reads them: by due date, then by id.
    """

    due_date: date
    id: int


@dataclass(frozen=True)
class LocalDates:
    """Every business's "today" at one instant, as a value and as SQL.

    At any instant the zones of the world span at most three dates, so the
    SQL is a short CASE on the business's stored zone: businesses without a
    zone, with an unknown one or on the default zone's date fall to its ELSE.
    """

    default: date
    others: tuple[tuple[date, tuple[str, ...]], ...] = ()

    @classmethod
    def from_groups(cls, groups: list[ZoneGroup], default: date) -> LocalDates:
        by_date: dict[date, list[str]] = defaultdict(list)
        for group in groups:
            if group.today != default:
                named = (value for value in group.stored_values if value is not None)
                by_date[group.today].extend(named)
        others = tuple(
            (day, tuple(sorted(names))) for day, names in sorted(by_date.items())
        )
        return cls(default, others)

    @property
    def latest(self) -> date:
        return max([self.default, *(day for day, _ in self.others)])

    @cached_property
    def _on_other_dates(self) -> list[tuple[date, ColumnElement[bool]]]:
        """For each date other than the default: "the invoice's business is on it".

        Each is an uncorrelated IN over a CTE of the businesses in those
        zones rather than a join: the database reads the (few) businesses
        once per statement, however often the condition appears in it,
        instead of looking a business up for every invoice.
        """
        conditions: list[tuple[date, ColumnElement[bool]]] = []
        for number, (day, names) in enumerate(self.others):
            zone = select(Business.id).where(Business.timezone.in_(names))
            businesses = zone.cte(f"businesses_on_date_{number}")
            conditions.append((day, Invoice.business_id.in_(select(businesses.c.id))))
        return conditions

    def today_expression(self) -> ColumnElement[Any]:
        if not self.others:
            return literal(self.default, Date())
        whens = [(on_day, day) for day, on_day in self._on_other_dates]
        return case(*whens, else_=literal(self.default, Date()))

    def stage_expression(self, stages: tuple[int, ...]) -> ColumnElement[Any]:
        """The highest stage each invoice has reached, NULL before the first."""
        on_default = StageThresholds(self.default, stages).stage_expression()
        if not self.others:
            return on_default
        whens = [
            (on_day, StageThresholds(day, stages).stage_expression())
            for day, on_day in self._on_other_dates
        ]
        return case(*whens, else_=on_default)


def local_dates(session: Session, instant: datetime, default_zone: str) -> LocalDates:
    """The "today" of every business at `instant`; see LocalDates."""
    default = local_today(instant, zoneinfo.ZoneInfo(default_zone))
    return LocalDates.from_groups(zone_groups(session, instant, default_zone), default)


def overdue_condition(today: date) -> ColumnElement[bool]:
    """The overdue rule as SQL; it matches the partial index on open invoices.

    Being open (Invoice.is_open) includes having something left to pay.
    """
    return and_(
        open_invoice_condition(),
        Invoice.due_date < today,
        Customer.reminders_paused == false(),
    )


# The walk's keys before the first and after the last open invoice, so that
# every slice is a bounded range and its statements have one constant text.
WALK_START = WalkKey(date.min, 0)
WALK_END = WalkKey(date.max, 2**62)


def _walk_key() -> ColumnElement[Any]:
    return tuple_(Invoice.due_date, Invoice.id)


def _bound(name: str) -> ColumnElement[Any]:
    return tuple_(
        bindparam(f"{name}_due_date", type_=Date()),
        bindparam(f"{name}_id", type_=Invoice.id.type),
    )


def _past_due_open_after(latest: date) -> list[ColumnElement[bool]]:
    """Open invoices due before `latest`, after the key bound as `after`.

    This is a range of the partial index ix_invoices_open_due (due_date, id).
    """
    return [
        open_invoice_condition(),
        Invoice.due_date < latest,
        _walk_key() > _bound("after"),
    ]


def _in_part() -> ColumnElement[bool]:
    """Up to the key bound as `end`: the last key of the walk's part (WALK_END)."""
    return _walk_key() <= _bound("end")


# About how many of the invoices table's rows Walk.parts samples.
SAMPLED_ROWS = 20_000


class Walk:
    """The statements of one run's walk over open past-due invoices, built once.

    The walk reads the index of open invoices slice by slice, a slice being
    the next `width` entries after a key, so each statement's cost is
    bounded by its slice whatever the planner estimates. One walk covers
    every time zone: the constant bound on due_date lets the index serve it,
    and each business's own "today" is applied row by row.

    Two forms of the same walk:

    - `slice_end` finds the key of the `width`-th entry after `after`, and
      `work` returns the invoices in (after, until] that need work. SQLite,
      dry runs and the row-by-row retry use these.
    - `walked` reads the slice once, in index order, and keeps the rows a
      batch takes plus the slice's last entry (see walked_slice).
      PostgreSQL's one-statement batch (batch.one_statement_batch) uses it:
      it reads each index entry and its row once, where the first form
      reads them twice, once to find the slice's end and once for work.

    The walk is keyed, not paginated: `slice_end`'s OFFSET and `walked`'s
    LIMIT count index entries from the current key, never from the start,
    so they read at most one slice of the index.

    A walk may be cut into parts (see `parts`), each a range of keys ending
    at `end`, walked on its own connection; the slices of a part stop at its
    end as the slices of a whole walk stop at the last open invoice.
    """

    def __init__(self, dates: LocalDates, stages: tuple[int, ...], limit: int) -> None:
        self.slice_end: Select[date | None, int] = (
            select(Invoice.due_date, Invoice.id)
            .where(*_past_due_open_after(dates.latest), _in_part())
            .order_by(Invoice.due_date, Invoice.id)
            .offset(bindparam("skip", type_=Integer()))
            .limit(1)
        )
        self.sampled_keys = _sampled_keys(dates.latest)
        self.work = work_batch_query(dates, stages, limit=limit)
        self.limit = limit
        self.walked = walked_slice(dates, stages, limit=limit)

    @staticmethod
    def slice_params(
        after: WalkKey, width: int, end: WalkKey = WALK_END
    ) -> dict[str, Any]:
        return {
            **_key_params("after", after),
            **_key_params("end", end),
            "skip": width - 1,
        }

    @staticmethod
    def work_params(after: WalkKey, until: WalkKey) -> dict[str, Any]:
        return {**_key_params("after", after), **_key_params("until", until)}

    @staticmethod
    def walked_params(
        after: WalkKey, width: int, end: WalkKey = WALK_END
    ) -> dict[str, Any]:
        bounds = _key_params("after", after) | _key_params("end", end)
        return {**bounds, "width": width}

    def parts(
        self, connection: Connection, count: int, sample_rows: int = SAMPLED_ROWS
    ) -> list[WalkPart]:
        """PostgreSQL: the walk cut into up to `count` parts of about as many entries.

        The cuts are quantiles of the walk's keys in a sample of the
        invoices table's pages (about `sample_rows` rows), not of the walk
        itself: counting the walk's index range reads the row of every
        entry whose page changed since the last VACUUM, which right after a
        run costs as much as walking it. A table that small is read whole,
        and its parts hold exactly as many entries each. A part holds at
        least a batch's worth of entries, so a short walk is not cut. The
        parts cover every key from WALK_START to WALK_END, so an invoice
        added while they are walked is in exactly one of them.
        """
        table_rows = connection.execute(
            text("SELECT reltuples FROM pg_class WHERE oid = CAST(:name AS regclass)"),
            {"name": Invoice.__tablename__},
        ).scalar_one()
        percent = 100.0
        if table_rows > sample_rows:
            percent = 100.0 * sample_rows / table_rows
        keys = [
            WalkKey(row.due_date, row.id)
            for row in connection.execute(self.sampled_keys, {"percent": percent})
        ]
        entries = int(len(keys) * 100.0 / percent)
        # Each cut is a sampled key, and no two parts end at the same one.
        count = max(1, min(count, entries // self.limit, len(keys)))
        ends = [keys[len(keys) * number // count - 1] for number in range(1, count)]
        ends.append(WALK_END)
        starts = [WALK_START, *ends[:-1]]
        return [WalkPart(start, end) for start, end in zip(starts, ends, strict=True)]


def _sampled_keys(latest: date) -> Select[Any]:
    """The walk's keys in a sample of the table's pages, in walk order.

    REPEATABLE: the same table gives the same sample, so the same parts.
    """
    sampled = tablesample(
        Invoice.__table__,
        func.system(bindparam("percent", type_=Float())),
        name="sampled",
        seed=literal(0),
    )
    return (
        select(sampled.c.due_date, sampled.c.id)
        .where(sampled.c.is_open, sampled.c.due_date < latest)
        .order_by(sampled.c.due_date, sampled.c.id)
    )


@dataclass(frozen=True)
class WalkPart:
    """The keys after `start`, up to and including `end`."""

    start: WalkKey
    end: WalkKey


def _key_params(name: str, key: WalkKey) -> dict[str, Any]:
    return {f"{name}_due_date": key.due_date, f"{name}_id": key.id}


# The invoice columns a batch reads: what its notification text and its
# status move need.
_INVOICE_FACTS = (
    Invoice.id,
    Invoice.business_id,
    Invoice.invoice_number,
    Invoice.due_date,
    Invoice.total,
    Invoice.amount_paid,
    Invoice.currency,
    Invoice.status,
)


def _notified_at_or_above(
    invoice_id: SQLColumnExpression[int], stage: ColumnElement[Any]
) -> ColumnElement[bool]:
    """The invoice has an overdue notification at `stage` or a higher one."""
    return exists().where(
        Notification.invoice_id == invoice_id,
        Notification.kind == PAYMENT_OVERDUE,
        Notification.stage >= stage,
    )


def work_batch_query(
    dates: LocalDates, stages: tuple[int, ...], *, limit: int
) -> Select[Any]:
    """Overdue invoices in (after, until], in (due_date, id) order, that need work.

    Work is a notification for a newly reached stage, or a status to move to
    `overdue`. The bounds are parameters: see Walk.work_params.
    """
    stage = dates.stage_expression(stages)
    already_notified = _notified_at_or_above(Invoice.id, stage)
    # reminded_stage comes with the row already read, so an invoice reminded
    # at its stage costs no probe of notifications; the probe still guards
    # an invoice whose reminded_stage lags (notified before it existed).
    needs_notification = and_(
        stage.is_not(None), Invoice.reminded_stage < stage, ~already_notified
    )
    needs_status = Invoice.status.in_(STATUSES_BECOMING_OVERDUE)
    return (
        select(
            *_INVOICE_FACTS,
            Customer.name.label("customer_name"),
            dates.today_expression().label("today"),
            stage.label("stage"),
            case((needs_notification, True), else_=False).label("notify"),
        )
        .join(Customer, Customer.id == Invoice.customer_id)
        .where(
            *_past_due_open_after(dates.latest),
            _walk_key() <= _bound("until"),
            Invoice.due_date < dates.today_expression(),
            Customer.reminders_paused == false(),
            or_(needs_status, needs_notification),
        )
        .order_by(Invoice.due_date, Invoice.id)
        .limit(limit)
    )


# Tested on each row as a hashed subquery: the database reads the (few)
# paused customers once per statement instead of looking up every invoice's.
_PAUSED_CUSTOMERS = select(Customer.id).where(Customer.reminders_paused)


def walked_slice(dates: LocalDates, stages: tuple[int, ...], *, limit: int) -> CTE:
    """One slice of the walk, read once: the rows of a batch and the slice's end.

    The slice is the next `width` open invoices due before dates.latest
    after the key `after`, read in (due_date, id) order and numbered by
    `position`. Each row is marked `notify` (a newly reached stage, not yet
    notified), `needs_status` (sent or viewed, to move to `overdue`) and
    `needs_work` (either). The CTE keeps, in order, the rows needing work
    and the slice's `width`-th row, where the slice ends, and stops after
    `limit` + 1 of them: the batch is the first `limit` rows needing work.
    A slice with no `width`-th row reached the end of the walk; a batch
    that fills may stop before the slice's end.

    It is one pass down the index: nothing is sorted, and only the kept rows
    are stored. Each row's business date (`today`) and its customer's pause
    are one hashed lookup each, and its stage is arithmetic on the date, so
    an invoice already reminded at its stage, the bulk of a backlog, is
    passed over on its own columns.
    """
    scanned = (
        select(
            *_INVOICE_FACTS,
            Invoice.customer_id,
            Invoice.reminded_stage,
            dates.today_expression().label("today"),
            Invoice.customer_id.in_(_PAUSED_CUSTOMERS).label("paused"),
        )
        .where(*_past_due_open_after(dates.latest), _in_part())
        .order_by(Invoice.due_date, Invoice.id)
        .limit(bindparam("width", type_=Integer()))
        .subquery("scanned")
    )
    stage = stage_from_days(scanned.c.today - scanned.c.due_date, stages)
    already_notified = _notified_at_or_above(scanned.c.id, stage)
    # Each test is computed once per row, in a level of its own: PostgreSQL
    # evaluates an expression again wherever it appears.
    overdue = and_(scanned.c.due_date < scanned.c.today, ~scanned.c.paused)
    notify = and_(
        stage.is_not(None),
        scanned.c.reminded_stage < stage,
        overdue,
        ~already_notified,
    )
    needs_status = and_(scanned.c.status.in_(STATUSES_BECOMING_OVERDUE), overdue)
    # OFFSET 0 keeps this level a subquery of its own (merged into the one
    # above, each mark would be computed once per use, the probe included);
    # its ORDER BY tells the levels above that the rows come in index order.
    marked = (
        select(
            scanned,
            stage.label("stage"),
            notify.label("notify"),
            needs_status.label("needs_status"),
        )
        .order_by(scanned.c.due_date, scanned.c.id)
        .offset(0)
        .subquery("marked")
    )
    position = func.row_number().over(order_by=(marked.c.due_date, marked.c.id))
    needs_work = or_(marked.c.needs_status, marked.c.notify)
    numbered = select(
        marked, needs_work.label("needs_work"), position.label("position")
    ).subquery("numbered")
    # After the first `limit` rows needing work, one more kept row is enough:
    # the next one needing work, or the slice's last entry.
    kept = or_(
        numbered.c.needs_work,
        numbered.c.position == bindparam("width", type_=Integer()),
    )
    walked = (
        select(numbered)
        .where(kept)
        .order_by(numbered.c.due_date, numbered.c.id)
        .limit(limit + 1)
    )
    return walked.cte("walked").prefix_with("MATERIALIZED")


def stage_from_days(
    days: ColumnElement[Any], stages: tuple[int, ...]
) -> ColumnElement[Any]:
    """The highest stage `days` days overdue reach, NULL before the first."""
    whens = [(days >= stage, stage) for stage in sorted(stages, reverse=True)]
    return case(*whens, else_=None)
