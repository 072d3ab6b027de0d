"""The four statements a CSV import chunk runs, portable and PostgreSQL-fast.

The portable versions (SQLite) send one bound value per cell. On PostgreSQL
a chunk's columns travel as arrays (`= ANY(array)`, `unnest`): a handful of
parameters per statement instead of thousands, which psycopg converts at once
and PostgreSQL answers from its indexes instead of a long IN list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, text, tuple_
from sqlalchemy.orm import Session

from app.customers.models import Customer
from app.db.base import utcnow
from app.db.upsert import insert_ignoring_conflicts
from app.invoices.models import Invoice

InvoiceKey = tuple[int, str]
CustomerKey = tuple[int, str]


@dataclass(frozen=True)
class NewCustomer:
    business_id: int
    name: str
    email: str | None


@dataclass(frozen=True)
class NewInvoice:
    business_id: int
    customer_id: int
    invoice_number: str
    status: str
    issue_date: date
    due_date: date
    total: Decimal
    amount_paid: Decimal
    currency: str


class ImportStatements:
    """Portable SQLAlchemy statements; right for SQLite, correct anywhere."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def begin_chunk(self) -> None:
        """Called first in each chunk's transaction."""

    def existing_invoices(self, keys: list[InvoiceKey]) -> set[InvoiceKey]:
        pair = tuple_(Invoice.business_id, Invoice.invoice_number)
        statement = select(Invoice.business_id, Invoice.invoice_number).where(
            pair.in_(keys)
        )
        return {(b, number) for b, number in self.session.execute(statement)}

    def find_customers(self, keys: list[CustomerKey]) -> dict[CustomerKey, int]:
        """Ids by (business_id, name); the oldest, should a name be there twice."""
        statement = (
            select(Customer.business_id, Customer.name, func.min(Customer.id))
            .where(tuple_(Customer.business_id, Customer.name).in_(keys))
            .group_by(Customer.business_id, Customer.name)
        )
        return {(b, name): id_ for b, name, id_ in self.session.execute(statement)}

    def insert_customers(self, customers: list[NewCustomer]) -> dict[CustomerKey, int]:
        statement = insert(Customer).returning(
            Customer.business_id, Customer.name, Customer.id
        )
        values = [vars(customer) for customer in customers]
        created = self.session.execute(statement, values)
        return {(b, name): id_ for b, name, id_ in created}

    def insert_invoices(self, invoices: list[NewInvoice]) -> set[InvoiceKey]:
        """Insert, skipping numbers already taken; returns the keys inserted."""
        statement = insert_ignoring_conflicts(
            self.session, Invoice, ["business_id", "invoice_number"]
        ).returning(Invoice.business_id, Invoice.invoice_number)
        values = [vars(invoice) for invoice in invoices]
        return {(b, number) for b, number in self.session.execute(statement, values)}


# Both columns as = ANY(array): the unique index, and the business_id index,
# serve them whatever the table statistics say; pairs that only match
# column by column are dropped in Python.
EXISTING_INVOICES = text("""
    SELECT business_id, invoice_number
    FROM invoices
    WHERE business_id = ANY(CAST(:business_ids AS bigint[]))
      AND invoice_number = ANY(CAST(:numbers AS text[]))
""")

FIND_CUSTOMERS = text("""
    SELECT business_id, name, min(id)
    FROM customers
    WHERE business_id = ANY(CAST(:business_ids AS bigint[]))
      AND name = ANY(CAST(:names AS text[]))
    GROUP BY business_id, name
""")

INSERT_CUSTOMERS = text("""
    INSERT INTO customers (business_id, name, email, reminders_paused, created_at)
    SELECT k.business_id, k.name, k.email, false, :now
    FROM unnest(
        CAST(:business_ids AS bigint[]),
        CAST(:names AS text[]),
        CAST(:emails AS text[])
    ) AS k(business_id, name, email)
    RETURNING business_id, name, id
""")

# ON CONFLICT on the unique (business_id, invoice_number): an invoice already
# there, or inserted meanwhile by a concurrent import, is left alone.
INSERT_INVOICES = text("""
    INSERT INTO invoices (
        business_id, customer_id, invoice_number, status, issue_date, due_date,
        total, amount_paid, currency, created_at, updated_at
    )
    SELECT k.*, :now, :now
    FROM unnest(
        CAST(:business_id AS bigint[]),
        CAST(:customer_id AS bigint[]),
        CAST(:invoice_number AS text[]),
        CAST(:status AS text[]),
        CAST(:issue_date AS date[]),
        CAST(:due_date AS date[]),
        CAST(:total AS numeric[]),
        CAST(:amount_paid AS numeric[]),
        CAST(:currency AS text[])
    ) AS k
    ON CONFLICT (business_id, invoice_number) DO NOTHING
    RETURNING business_id, invoice_number
""")


class PostgresImportStatements(ImportStatements):
    """The same statements with each column sent as one array."""

    def begin_chunk(self) -> None:
        # psycopg prepares a statement run five times, and PostgreSQL may then
        # reuse a generic plan, in which `= ANY(array)` over a parameter is a
        # linear scan per row instead of a hash lookup: minutes, not seconds.
        self.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))

    def existing_invoices(self, keys: list[InvoiceKey]) -> set[InvoiceKey]:
        business_ids, numbers = _distinct_columns(keys)
        parameters = {"business_ids": business_ids, "numbers": numbers}
        rows = self.session.execute(EXISTING_INVOICES, parameters)
        return {(b, number) for b, number in rows} & set(keys)

    def find_customers(self, keys: list[CustomerKey]) -> dict[CustomerKey, int]:
        business_ids, names = _distinct_columns(keys)
        parameters = {"business_ids": business_ids, "names": names}
        rows = self.session.execute(FIND_CUSTOMERS, parameters)
        wanted = set(keys)
        return {(b, name): id_ for b, name, id_ in rows if (b, name) in wanted}

    def insert_customers(self, customers: list[NewCustomer]) -> dict[CustomerKey, int]:
        business_ids, names, emails = _columns(
            [(c.business_id, c.name, c.email) for c in customers], 3
        )
        parameters = {
            "business_ids": business_ids,
            "names": names,
            "emails": emails,
            "now": _naive_utc_now(),
        }
        rows = self.session.execute(INSERT_CUSTOMERS, parameters)
        return {(b, name): id_ for b, name, id_ in rows}

    def insert_invoices(self, invoices: list[NewInvoice]) -> set[InvoiceKey]:
        fields = list(NewInvoice.__dataclass_fields__)
        parameters: dict[str, Any] = {
            name: [getattr(invoice, name) for invoice in invoices] for name in fields
        }
        parameters["now"] = _naive_utc_now()
        rows = self.session.execute(INSERT_INVOICES, parameters)
        return {(b, number) for b, number in rows}


def import_statements(session: Session) -> ImportStatements:
    if session.get_bind().dialect.name == "postgresql":
        return PostgresImportStatements(session)
    return ImportStatements(session)


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    return [[row[i] for row in rows] for i in range(width)]


def _distinct_columns(keys: list[tuple[int, str]]) -> tuple[list[int], list[str]]:
    return sorted({key[0] for key in keys}), sorted({key[1] for key in keys})


def _naive_utc_now() -> datetime:
    # The timestamp columns hold naive UTC (see UtcDateTime); raw SQL skips it.
    return utcnow().replace(tzinfo=None)
