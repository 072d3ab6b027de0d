"""CSV import, the pure part: the documented columns, and one row's validation.

Nothing here touches the database; `import_writer` checks what only the
database knows (the business, existing invoices) and writes the good rows.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import IO, Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from app.errors import InvalidInput
from app.invoices.models import InvoiceStatus
from app.invoices.rules import InvoiceValues, first_problem
from app.validation import (
    CurrencyCode,
    Email,
    EntityId,
    InvoiceNumber,
    Name,
    NonNegativeMoney,
)

REQUIRED_COLUMNS = (
    "business_id",
    "invoice_number",
    "customer_name",
    "issue_date",
    "due_date",
    "total",
)
OPTIONAL_COLUMNS = ("customer_email", "status", "amount_paid", "currency")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
EXPECTED = ", ".join(COLUMNS)

COLUMNS_HELP = """\
A UTF-8 CSV file whose first row names the columns, in any order:

| column | required | meaning |
| --- | --- | --- |
| business_id | yes | id of an existing business |
| invoice_number | yes | up to 64 characters, unique within the business |
| customer_name | yes | matched within the business; created if missing |
| customer_email | no | used only when the customer is created |
| status | no | draft, sent, viewed, partial, overdue, paid or cancelled; default sent |
| issue_date | yes | YYYY-MM-DD |
| due_date | yes | YYYY-MM-DD, not before issue_date |
| total | yes | at least 0, at most 2 decimals, e.g. 120.50 |
| amount_paid | no | between 0 and total; default 0 |
| currency | no | the business's ISO 4217 code (the default) |

An invoice whose (business_id, invoice_number) already exists is skipped and
never changed, so importing a file twice changes nothing. A bad row is
rejected with its line number, field and reason; the good rows are kept.
"""

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def iso_date(value: object) -> object:
    if isinstance(value, str) and not ISO_DATE.match(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(iso_date)]


class ImportRow(BaseModel):
    """One CSV row, validated on its own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    business_id: EntityId
    invoice_number: InvoiceNumber
    customer_name: Name
    customer_email: Email | None = None
    status: InvoiceStatus = InvoiceStatus.SENT
    issue_date: IsoDate
    due_date: IsoDate
    total: NonNegativeMoney
    amount_paid: NonNegativeMoney = Decimal("0.00")
    currency: CurrencyCode | None = None

    @property
    def key(self) -> tuple[int, str]:
        return (self.business_id, self.invoice_number)


@dataclass(frozen=True)
class RowError:
    """Why a row was refused; field is None when the row as a whole is wrong."""

    line: int
    field: str | None
    reason: str
    value: str | None = None


@dataclass(frozen=True)
class ParsedRow:
    line: int
    row: ImportRow


class CsvFileError(InvalidInput):
    """The file cannot be imported at all; nothing was written."""

    code = "invalid_csv_file"

    def __init__(self, message: str, *, field: str = "file", value: object = None):
        super().__init__(message, field=field, value=value)


def check_header(fieldnames: list[str] | None) -> list[str]:
    """The header as column names, or CsvFileError saying what is wrong with it."""
    if not fieldnames:
        raise CsvFileError(f"the file is empty; expected a header row: {EXPECTED}")
    columns = [name.strip().lower() for name in fieldnames]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    unknown = [name for name in columns if name not in COLUMNS]
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    for problem, names in (
        ("missing", missing),
        ("unknown", unknown),
        ("repeated", repeated),
    ):
        if names:
            message = f"{problem} column(s) {', '.join(names)}; expected {EXPECTED}"
            raise CsvFileError(message, field=names[0], value=", ".join(names))
    return columns


def read_records(text: IO[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(first line, row) for each record after a valid header; blank lines skipped."""
    # strict: a stray quote refuses the file instead of swallowing lines.
    reader = csv.reader(text, strict=True)
    columns = check_header(next(reader, None))
    end = reader.line_num
    for values in reader:
        # A quoted cell may span lines: a record starts after the previous one.
        start, end = end + 1, reader.line_num
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(columns):
            yield start, {"": f"{len(values)} fields, not {len(columns)}"}
            continue
        yield start, dict(zip(columns, values, strict=True))


def parse_row(line: int, record: dict[str, str]) -> ParsedRow | list[RowError]:
    """A valid row, or every reason it is not; empty optional cells take defaults."""
    if "" in record:
        return [RowError(line, None, f"expected one field per column: {record['']}")]
    cells = {name: value.strip() for name, value in record.items()}
    given = {name: value for name, value in cells.items() if value != ""}
    try:
        row = ImportRow.model_validate(given)
    except ValidationError as exc:
        return [_row_error(line, error, cells) for error in exc.errors()]
    problem = first_problem(_values(row))
    if problem is not None:
        field = problem.blamed_field()
        return [RowError(line, field, problem.reason, cells.get(field))]
    return ParsedRow(line, row)


def _values(row: ImportRow) -> InvoiceValues:
    return InvoiceValues(
        status=row.status,
        issue_date=row.issue_date,
        due_date=row.due_date,
        total=row.total,
        amount_paid=row.amount_paid,
    )


def _row_error(line: int, error: Any, cells: dict[str, str]) -> RowError:
    field = str(error["loc"][0]) if error["loc"] else None
    reason = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "missing":
        reason = "required, but empty"
    return RowError(line, field, reason, cells.get(field) if field else None)
