"""The benchmark's data set: N invoices across businesses in several time zones.

Rows come from one seeded generator, so PostgreSQL (loaded with COPY) and
SQLite (loaded with executemany in chunks) hold the same invoices. Every
invoice falls in one bucket: overdue, due today (overdue one day later), or
one of the kinds the overdue rule must skip.

The row order is a choice (DatasetSpec.row_order). By default invoice ids,
and so the order of rows on disk, have nothing to do with due dates, the
hardest case for a walk in due-date order: every index entry it reads is on
another page. A real invoices table grows as invoices are issued, and a due
date follows its issue date by the payment terms; "issued" builds that
table: the same invoices, numbered and stored in issue order.
"""

from __future__ import annotations

import random
import zoneinfo
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert

from app.businesses.models import Business
from app.customers.models import Customer
from app.invoices.models import Invoice

# The run instant of the benchmark: noon UTC is already the next day in
# Auckland and still early morning in Los Angeles.
RUN_INSTANT = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)

# None is a business without a zone: it uses the run's default zone.
ZONES: tuple[str | None, ...] = (
    "UTC",
    "America/New_York",
    "America/Los_Angeles",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    None,
)
CURRENCIES = ("USD", "USD", "USD", "EUR", "INR", "JPY", "AUD", "NZD", "GBP")
CHUNK_ROWS = 50_000
ROW_ORDERS = ("random", "issued")

# The buckets that are neither overdue nor due today, with their share of
# the rest; each is one reason the rule must skip an invoice.
SKIPPED = (
    ("paid", 0.40),
    ("future", 0.25),
    ("draft", 0.10),
    ("cancelled", 0.10),
    ("deleted", 0.05),
    ("zero_total", 0.05),
    ("paused", 0.05),
)
OPEN_PAST_DUE = ("sent", "sent", "viewed", "partial", "overdue")
OPEN_NOT_YET_OVERDUE = ("sent", "sent", "viewed", "partial")
FIXED_STATUS = {
    "paid": "paid",
    "draft": "draft",
    "cancelled": "cancelled",
    "future": "sent",
    "zero_total": "sent",
}

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DatasetSpec:
    invoices: int
    businesses: int = 1000
    customers_per_business: int = 10
    overdue_fraction: float = 0.10
    newly_due_fraction: float = 0.01
    instant: datetime = RUN_INSTANT
    default_timezone: str = "UTC"
    seed: int = 20250315
    row_order: str = "random"

    def __post_init__(self) -> None:
        if self.row_order not in ROW_ORDERS:
            raise ValueError(
                f"row_order must be one of {', '.join(ROW_ORDERS)}, "
                f"not {self.row_order!r}"
            )

    def business_zone(self, business_id: int) -> str | None:
        return ZONES[business_id % len(ZONES)]

    def business_today(self, business_id: int) -> date:
        zone = self.business_zone(business_id) or self.default_timezone
        return self.instant.astimezone(zoneinfo.ZoneInfo(zone)).date()

    def paused_customer(self, business_id: int) -> int:
        """Each business's first customer has reminders paused."""
        return (business_id - 1) * self.customers_per_business + 1


def build(engine: Engine, spec: DatasetSpec, progress: Progress) -> None:
    """Insert businesses, customers and invoices into an empty, migrated database."""
    _insert_rows(engine, Business, list(_businesses(spec)))
    _insert_rows(engine, Customer, list(_customers(spec)))
    loaded = 0
    for chunk in _chunks(_invoices(spec), CHUNK_ROWS):
        if engine.dialect.name == "postgresql":
            _copy_invoices(engine, chunk)
        else:
            _insert_rows(engine, Invoice, chunk)
        loaded += len(chunk)
        progress(f"data set: {loaded:,} / {spec.invoices:,} invoices")
    if engine.dialect.name == "postgresql":
        _advance_sequences(engine)
        if spec.row_order == "issued":
            _store_in_id_order(engine)


def _businesses(spec: DatasetSpec) -> Iterator[dict[str, Any]]:
    for business_id in range(1, spec.businesses + 1):
        yield {
            "id": business_id,
            "name": f"Business {business_id}",
            "timezone": spec.business_zone(business_id),
            "currency": CURRENCIES[business_id % len(CURRENCIES)],
            "created_at": spec.instant - timedelta(days=400),
        }


def _customers(spec: DatasetSpec) -> Iterator[dict[str, Any]]:
    for business_id in range(1, spec.businesses + 1):
        first = spec.paused_customer(business_id)
        for offset in range(spec.customers_per_business):
            yield {
                "id": first + offset,
                "business_id": business_id,
                "name": f"Customer {business_id}-{offset + 1}",
                "email": f"billing{first + offset}@example.test",
                "reminders_paused": offset == 0,
                "created_at": spec.instant - timedelta(days=300),
            }


def _invoices(spec: DatasetSpec) -> Iterator[dict[str, Any]]:
    """The invoices in the order drawn, with ids in the spec's row order."""
    if spec.row_order == "random":
        yield from _drawn_invoices(spec)
        return
    ids = _ids_in_issue_order(spec)
    for number, row in enumerate(_drawn_invoices(spec)):
        row["id"] = ids[number]
        yield row


def _drawn_invoices(spec: DatasetSpec) -> Iterator[dict[str, Any]]:
    rng = random.Random(spec.seed)
    todays = {b: spec.business_today(b) for b in range(1, spec.businesses + 1)}
    for invoice_id in range(1, spec.invoices + 1):
        business_id = (invoice_id - 1) % spec.businesses + 1
        sequence = (invoice_id - 1) // spec.businesses + 1
        bucket = _bucket(rng.random(), spec)
        row = _invoice(rng, spec, bucket, business_id, todays[business_id])
        row.update(
            id=invoice_id,
            business_id=business_id,
            invoice_number=f"INV-{sequence:07d}",
            currency=CURRENCIES[business_id % len(CURRENCIES)],
        )
        yield row


def _ids_in_issue_order(spec: DatasetSpec) -> array[int]:
    """For each invoice as drawn, its id when ids follow (issue_date, draw).

    One extra pass of the generator that keeps one integer per invoice
    (about 40 bytes at 1M invoices, against a kilobyte for a row as a dict).
    """
    count = spec.invoices
    keys = [
        row["issue_date"].toordinal() * count + number
        for number, row in enumerate(_drawn_invoices(spec))
    ]
    keys.sort()
    ids = array("q", bytes(8 * count))
    for rank, key in enumerate(keys, start=1):
        ids[key % count] = rank
    return ids


def _bucket(draw: float, spec: DatasetSpec) -> str:
    if draw < spec.overdue_fraction:
        return "overdue"
    if draw < spec.overdue_fraction + spec.newly_due_fraction:
        return "due_today"
    rest = spec.overdue_fraction + spec.newly_due_fraction
    position = (draw - rest) / (1 - rest)
    for bucket, share in SKIPPED:
        if position < share:
            return bucket
        position -= share
    return SKIPPED[-1][0]


def _invoice(
    rng: random.Random, spec: DatasetSpec, bucket: str, business_id: int, today: date
) -> dict[str, Any]:
    status = _status(rng, bucket)
    due_date = _due_date(rng, bucket, today)
    total = Decimal(0) if bucket == "zero_total" else _total(rng)
    others = spec.customers_per_business
    customer_offset = 0 if bucket == "paused" else rng.randrange(1, others)
    created = spec.instant - timedelta(days=(today - due_date).days + 30)
    return {
        "customer_id": spec.paused_customer(business_id) + customer_offset,
        "status": status,
        "issue_date": due_date - timedelta(days=30),
        "due_date": due_date,
        "total": total,
        "amount_paid": _amount_paid(status, total),
        "deleted_at": spec.instant - timedelta(days=1) if bucket == "deleted" else None,
        "created_at": created,
        "updated_at": created,
    }


def _status(rng: random.Random, bucket: str) -> str:
    if bucket in FIXED_STATUS:
        return FIXED_STATUS[bucket]
    if bucket == "due_today":
        return rng.choice(OPEN_NOT_YET_OVERDUE)
    return rng.choice(OPEN_PAST_DUE)


def _due_date(rng: random.Random, bucket: str, today: date) -> date:
    if bucket == "due_today":
        return today
    if bucket == "future":
        return today + timedelta(days=rng.randrange(1, 60))
    return today - timedelta(days=rng.randrange(1, 120))


def _total(rng: random.Random) -> Decimal:
    return Decimal(rng.randrange(5_000, 500_000)) / 100


def _amount_paid(status: str, total: Decimal) -> Decimal:
    if status == "paid":
        return total
    if status == "partial":
        return (total / 3).quantize(Decimal("0.01"))
    return Decimal("0.00")


def _chunks(
    rows: Iterator[dict[str, Any]], size: int
) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _insert_rows(engine: Engine, model: type[Any], rows: list[dict[str, Any]]) -> None:
    table = model.__table__
    with engine.begin() as connection:
        for chunk in _chunks(iter(rows), CHUNK_ROWS // 5):
            connection.execute(insert(table), chunk)


INVOICE_COLUMNS = (
    "id",
    "business_id",
    "customer_id",
    "invoice_number",
    "status",
    "issue_date",
    "due_date",
    "total",
    "amount_paid",
    "currency",
    "deleted_at",
    "created_at",
    "updated_at",
)


def _copy_invoices(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """COPY one chunk; timestamps go in as naive UTC, as the app stores them."""
    statement = f"COPY invoices ({', '.join(INVOICE_COLUMNS)}) FROM STDIN"
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row([_naive(row[column]) for column in INVOICE_COLUMNS])
        raw.commit()
    finally:
        raw.close()


def _naive(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _store_in_id_order(engine: Engine) -> None:
    """Rewrite the invoices in id order, as a table written in that order lies.

    COPY stored them in the order drawn. SQLite needs nothing: its rows live
    in a tree keyed by id.
    """
    with engine.begin() as connection:
        connection.exec_driver_sql("CLUSTER invoices USING pk_invoices")


def _advance_sequences(engine: Engine) -> None:
    """Ids were given explicitly; later inserts must not collide with them."""
    with engine.begin() as connection:
        for table in ("businesses", "customers", "invoices"):
            connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
