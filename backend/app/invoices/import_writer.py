"""CSV import, the database part: set-based writes of validated rows, a chunk at a time.

Each chunk is one transaction of a few statements whatever its size: look up
its businesses, customers and existing invoice numbers, insert the missing
customers, then INSERT the invoices with ON CONFLICT DO NOTHING. The unique
(business_id, invoice_number) key, not the earlier lookup, is what makes a
second import (or two imports at once) skip an invoice instead of doubling it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from app.businesses.models import Business
from app.invoices.import_sql import (
    CustomerKey,
    InvoiceKey,
    NewCustomer,
    NewInvoice,
    import_statements,
)
from app.invoices.importer import ParsedRow, RowError

logger = logging.getLogger(__name__)


@dataclass
class ChunkOutcome:
    inserted: int = 0
    skipped: list[ParsedRow] = field(default_factory=list)
    rejected: list[RowError] = field(default_factory=list)
    new_customers: dict[CustomerKey, int] = field(default_factory=dict)

    def add(self, other: ChunkOutcome) -> None:
        self.inserted += other.inserted
        self.skipped += other.skipped
        self.rejected += other.rejected
        self.new_customers |= other.new_customers


class ImportWriter:
    """Writes chunks of valid rows; remembers the businesses and customers it met.

    Memory follows the number of distinct businesses and customers, not rows.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.sql = import_statements(session)
        self._currencies: dict[int, str | None] = {}
        self._customers: dict[CustomerKey, int] = {}

    def write(self, rows: list[ParsedRow]) -> ChunkOutcome:
        """Write and commit one chunk; if the database refuses its data, row by row.

        Other database errors (connection lost, lock timeout) end the import:
        the chunks committed so far stay, and importing again finishes the job.
        """
        try:
            outcome = self._write_chunk(rows)
            self.session.commit()
        except (IntegrityError, DataError) as exc:
            self.session.rollback()
            return self._write_one_by_one(rows, exc)
        self._customers |= outcome.new_customers
        return outcome

    def _write_one_by_one(self, rows: list[ParsedRow], exc: Exception) -> ChunkOutcome:
        if len(rows) == 1:
            reason = f"refused by the database: {str(exc).splitlines()[0]}"
            return ChunkOutcome(rejected=[RowError(rows[0].line, None, reason)])
        logger.warning(
            "import chunk of %s rows refused, retrying row by row: %s",
            len(rows),
            exc,
            extra={"event": "import_chunk_retried"},
        )
        outcome = ChunkOutcome()
        for row in rows:
            outcome.add(self.write([row]))
        return outcome

    def _write_chunk(self, rows: list[ParsedRow]) -> ChunkOutcome:
        self.sql.begin_chunk()
        outcome = ChunkOutcome()
        accepted = self._check_businesses(rows, outcome)
        existing = self._existing_keys(accepted)
        new = [row for row in accepted if row.row.key not in existing]
        outcome.skipped = [row for row in accepted if row.row.key in existing]
        customer_ids = self._customer_ids(new, outcome)
        inserted = self._insert_invoices(new, customer_ids)
        outcome.inserted = len(inserted)
        # A row missing here lost a race with a concurrent import: also skipped.
        outcome.skipped += [row for row in new if row.row.key not in inserted]
        return outcome

    def _check_businesses(
        self, rows: list[ParsedRow], outcome: ChunkOutcome
    ) -> list[ParsedRow]:
        self._load_currencies({row.row.business_id for row in rows})
        accepted = []
        for parsed in rows:
            error = self._business_error(parsed)
            if error is None:
                accepted.append(parsed)
            else:
                outcome.rejected.append(error)
        return accepted

    def _business_error(self, parsed: ParsedRow) -> RowError | None:
        row = parsed.row
        currency = self._currencies[row.business_id]
        if currency is None:
            reason = f"no business with id {row.business_id}"
            return RowError(parsed.line, "business_id", reason, str(row.business_id))
        if row.currency is not None and row.currency != currency:
            reason = f"must be the business's currency {currency}"
            return RowError(parsed.line, "currency", reason, row.currency)
        return None

    def _load_currencies(self, business_ids: set[int]) -> None:
        unknown = business_ids - self._currencies.keys()
        if not unknown:
            return
        found = self.session.execute(
            select(Business.id, Business.currency).where(Business.id.in_(unknown))
        )
        self._currencies |= dict.fromkeys(unknown)
        self._currencies |= {business_id: code for business_id, code in found}

    def _existing_keys(self, rows: list[ParsedRow]) -> set[InvoiceKey]:
        if not rows:
            return set()
        return self.sql.existing_invoices([row.row.key for row in rows])

    def _customer_ids(
        self, rows: list[ParsedRow], outcome: ChunkOutcome
    ) -> dict[CustomerKey, int]:
        """The rows' customer ids, matched by (business, name), created if missing."""
        wanted = {_customer_key(row): row.row for row in rows}
        ids = {key: self._customers[key] for key in wanted if key in self._customers}
        unknown = [key for key in wanted if key not in ids]
        if unknown:
            ids |= self.sql.find_customers(unknown)
        missing = [
            NewCustomer(row.business_id, row.customer_name, row.customer_email)
            for key, row in wanted.items()
            if key not in ids
        ]
        if missing:
            outcome.new_customers = self.sql.insert_customers(missing)
        return ids | outcome.new_customers

    def _insert_invoices(
        self, rows: list[ParsedRow], customer_ids: dict[CustomerKey, int]
    ) -> set[InvoiceKey]:
        """Insert the rows, skipping taken numbers; returns the keys inserted."""
        if not rows:
            return set()
        return self.sql.insert_invoices(
            [self._new_invoice(row, customer_ids) for row in rows]
        )

    def _new_invoice(
        self, parsed: ParsedRow, customer_ids: dict[CustomerKey, int]
    ) -> NewInvoice:
        row = parsed.row
        currency = self._currencies[row.business_id]
        assert currency is not None, "rows of unknown businesses were rejected"
        return NewInvoice(
            business_id=row.business_id,
            customer_id=customer_ids[_customer_key(parsed)],
            invoice_number=row.invoice_number,
            status=row.status.value,
            issue_date=row.issue_date,
            due_date=row.due_date,
            total=row.total,
            amount_paid=row.amount_paid,
            currency=currency,
        )


def _customer_key(parsed: ParsedRow) -> CustomerKey:
    return (parsed.row.business_id, parsed.row.customer_name)
