"""The database's floor: the overdue rule as one hand-written INSERT … SELECT.

It creates the same (invoice_id, kind, stage) rows as the run, with the text
built in SQL instead of by Babel, in one statement and one transaction; no
implementation that sends the rows through Python can beat it by much. Each
business's "today" comes from the same zone grouping the run uses, passed in
as a CASE over the stored zone names, so both dialects compare plain dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from time import perf_counter
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from app.overdue.rule import zone_groups


@dataclass(frozen=True)
class Dialect:
    is_open: str
    days_overdue: str
    balance_text: str
    date_param: str
    timestamp_param: str


# Each is the term of the partial index ix_invoices_open_due, as the models write it.
POSTGRESQL = Dialect(
    is_open="i.is_open",
    days_overdue="z.today - i.due_date",
    balance_text="to_char(s.balance_due, 'FM999,999,999,990.00')",
    date_param="CAST(:{name} AS DATE)",
    timestamp_param="CAST(:{name} AS TIMESTAMP)",
)
SQLITE = Dialect(
    is_open="i.is_open = 1",
    days_overdue="CAST(julianday(z.today) - julianday(i.due_date) AS INTEGER)",
    balance_text="printf('%.2f', s.balance_due)",
    date_param=":{name}",
    timestamp_param=":{name}",
)

# The overdue rule, row by row the same as app.overdue.rule.overdue_condition,
# and the stage each candidate has reached. `is_open` (not deleted, not
# draft/paid/cancelled, something left to pay) and the constant bound on
# due_date (the latest "today" of any zone) let the planner read only
# past-due open invoices through the partial index ix_invoices_open_due.
CANDIDATES = """
business_today (id, today) AS (
    SELECT b.id, CASE COALESCE(b.timezone, '') {zone_whens} END FROM businesses AS b
),
candidates AS (
    SELECT i.id, i.business_id, i.invoice_number, i.status, i.due_date,
           i.currency, i.total - i.amount_paid AS balance_due,
           c.name AS customer_name, {days_overdue} AS days_overdue
    FROM invoices AS i
    JOIN business_today AS z ON z.id = i.business_id
    JOIN customers AS c ON c.id = i.customer_id
    WHERE {is_open}
      AND i.due_date < {latest_today}
      AND i.due_date < z.today
      AND NOT c.reminders_paused
),
staged AS (
    SELECT candidates.*, {stage} AS stage FROM candidates
),
notified AS (
    SELECT invoice_id, max(stage) AS stage FROM notifications
    WHERE kind = 'payment_overdue' GROUP BY invoice_id
)"""

# A stage is reached and no notification of that stage or higher exists.
# Written as a join to the highest stage already sent, computed once, and not
# as NOT EXISTS: planned while notifications is empty, NOT EXISTS probes the
# table by sequential scan, and the statement's own inserts make that scan
# longer for every row (quadratic time).
NEEDS_NOTIFICATION = """
s.stage IS NOT NULL AND (done.stage IS NULL OR done.stage < s.stage)"""
NOTIFIED_JOIN = "LEFT JOIN notified AS done ON done.invoice_id = s.id"

INSERT_NOTIFICATIONS = """
WITH {candidates}
INSERT INTO notifications (business_id, invoice_id, kind, stage, title, message,
                           is_read, resource_type, resource_id, created_at)
SELECT s.business_id, s.id, 'payment_overdue', s.stage,
       'Invoice ' || s.invoice_number || ' is ' || {days} || ' overdue',
       'Invoice ' || s.invoice_number || ' for ' || s.customer_name || ' is '
           || {days} || ' overdue: ' || {balance} || ' ' || s.currency
           || ' outstanding, due on ' || s.due_date
           || '. Invoice id: ' || s.id || '.',
       FALSE, 'invoice', CAST(s.id AS TEXT), {now}
FROM staged AS s {notified_join}
WHERE {needs_notification}
ON CONFLICT (invoice_id, kind, stage) DO NOTHING"""

UPDATE_STATUSES = """
WITH {candidates}
UPDATE invoices SET status = 'overdue', updated_at = {now}
WHERE status IN ('sent', 'viewed') AND id IN (SELECT id FROM candidates)"""

COUNT_PENDING = """
WITH {candidates}
SELECT count(*) FROM staged AS s {notified_join} WHERE {needs_notification}"""

PENDING_BY_BUSINESS = """
WITH {candidates}
SELECT s.business_id, count(*) FROM staged AS s {notified_join}
WHERE {needs_notification}
GROUP BY s.business_id ORDER BY s.business_id"""

DAYS_TEXT = (
    "CASE WHEN s.days_overdue = 1 THEN '1 day' ELSE s.days_overdue || ' days' END"
)


@dataclass(frozen=True)
class FloorTimes:
    insert_s: float
    update_s: float
    notifications_created: int
    statuses_changed: int


class FloorStatements:
    """The floor's statements for one engine, run instant and set of stages."""

    def __init__(
        self,
        engine: Engine,
        *,
        instant: datetime,
        stages: tuple[int, ...],
        default_timezone: str,
    ) -> None:
        self.dialect = POSTGRESQL if engine.dialect.name == "postgresql" else SQLITE
        with Session(engine) as session:
            groups = zone_groups(session, instant, default_timezone)
        zones = [(value or "", g.today) for g in groups for value in g.stored_values]
        self.params: dict[str, Any] = {"now": _stored_timestamp(instant)}
        whens = []
        for index, (zone, today) in enumerate(zones):
            self.params[f"zone{index}"] = zone
            self.params[f"today{index}"] = today.isoformat()
            day = self.dialect.date_param.format(name=f"today{index}")
            whens.append(f"WHEN :zone{index} THEN {day}")
        self.params["latest_today"] = max(today for _, today in zones).isoformat()
        self.candidates = CANDIDATES.format(
            is_open=self.dialect.is_open,
            zone_whens=" ".join(whens),
            latest_today=self.dialect.date_param.format(name="latest_today"),
            days_overdue=self.dialect.days_overdue,
            stage=_stage_case(stages),
        )

    def insert_notifications(self) -> str:
        return INSERT_NOTIFICATIONS.format(
            candidates=self.candidates,
            days=DAYS_TEXT,
            balance=self.dialect.balance_text,
            now=self.dialect.timestamp_param.format(name="now"),
            needs_notification=NEEDS_NOTIFICATION,
            notified_join=NOTIFIED_JOIN,
        )

    def update_statuses(self) -> str:
        now = self.dialect.timestamp_param.format(name="now")
        return UPDATE_STATUSES.format(candidates=self.candidates, now=now)

    def count_pending(self) -> str:
        return COUNT_PENDING.format(
            candidates=self.candidates,
            needs_notification=NEEDS_NOTIFICATION,
            notified_join=NOTIFIED_JOIN,
        )

    def pending_by_business(self, connection: Connection) -> list[tuple[int, int]]:
        statement = PENDING_BY_BUSINESS.format(
            candidates=self.candidates,
            needs_notification=NEEDS_NOTIFICATION,
            notified_join=NOTIFIED_JOIN,
        )
        rows = connection.execute(text(statement), self.params)
        return [(int(business_id), int(count)) for business_id, count in rows]

    def pending(self, connection: Connection) -> int:
        """How many notifications the run would create now."""
        return int(connection.execute(text(self.count_pending()), self.params).one()[0])


def _stage_case(stages: tuple[int, ...]) -> str:
    whens = " ".join(
        f"WHEN days_overdue >= {int(stage)} THEN {int(stage)}"
        for stage in sorted(stages, reverse=True)
    )
    return f"CASE {whens} END"


def _stored_timestamp(instant: datetime) -> str:
    """The text a UTC timestamp column holds, as SQLAlchemy writes it on SQLite."""
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def run_floor(statements: FloorStatements, engine: Engine) -> FloorTimes:
    """Time the INSERT (committed), then the status UPDATE (committed)."""
    start = perf_counter()
    with engine.begin() as connection:
        created = _changed_rows(
            connection, statements.insert_notifications(), statements
        )
    inserted = perf_counter()
    with engine.begin() as connection:
        changed = _changed_rows(connection, statements.update_statuses(), statements)
    return FloorTimes(
        insert_s=inserted - start,
        update_s=perf_counter() - inserted,
        notifications_created=int(created),
        statuses_changed=int(changed),
    )


def _changed_rows(connection: Connection, sql: str, statements: FloorStatements) -> int:
    """Rows a statement wrote; Python's sqlite3 gives no rowcount after WITH."""
    count = int(connection.execute(text(sql), statements.params).rowcount)
    if count < 0:
        count = int(connection.exec_driver_sql("SELECT changes()").scalar_one())
    return count
