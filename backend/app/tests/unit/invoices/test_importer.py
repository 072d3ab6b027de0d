from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from app.invoices.importer import (
    COLUMNS,
    CsvFileError,
    ParsedRow,
    RowError,
    check_header,
    parse_row,
    read_records,
)
from app.invoices.models import InvoiceStatus

GOOD = {
    "business_id": "1",
    "invoice_number": "INV-1",
    "customer_name": "Jo",
    "customer_email": "",
    "status": "",
    "issue_date": "2025-01-01",
    "due_date": "2025-01-31",
    "total": "120.50",
    "amount_paid": "",
    "currency": "",
}


def errors_of(**cells: str) -> list[tuple[str | None, str]]:
    result = parse_row(7, GOOD | cells)
    assert isinstance(result, list), result
    assert {error.line for error in result} == {7}
    return [(error.field, error.reason) for error in result]


def test_good_row_takes_defaults_for_empty_optional_cells() -> None:
    result = parse_row(2, GOOD)

    assert isinstance(result, ParsedRow)
    row = result.row
    assert (result.line, row.key) == (2, (1, "INV-1"))
    assert (row.status, row.amount_paid, row.currency) == (
        InvoiceStatus.SENT,
        Decimal("0.00"),
        None,
    )
    assert row.customer_email is None
    assert (row.issue_date, row.due_date, row.total) == (
        date(2025, 1, 1),
        date(2025, 1, 31),
        Decimal("120.50"),
    )


def test_cells_are_stripped_and_currency_upper_cased() -> None:
    result = parse_row(2, GOOD | {"customer_name": "  Jo  ", "currency": " eur "})

    assert isinstance(result, ParsedRow)
    assert (result.row.customer_name, result.row.currency) == ("Jo", "EUR")


@pytest.mark.parametrize(
    ("cells", "field", "reason_part"),
    [
        ({"business_id": "abc"}, "business_id", "valid integer"),
        ({"business_id": "0"}, "business_id", "greater than or equal to 1"),
        ({"invoice_number": "x" * 65}, "invoice_number", "at most 64"),
        ({"customer_name": ""}, "customer_name", "required, but empty"),
        ({"customer_name": "a\tb"}, "customer_name", "control characters"),
        ({"customer_email": "nobody"}, "customer_email", "email"),
        ({"status": "lost"}, "status", "Input should be"),
        ({"issue_date": "01/02/2025"}, "issue_date", "YYYY-MM-DD"),
        ({"due_date": "2025-02-30"}, "due_date", "date"),
        ({"total": "-1"}, "total", "greater than or equal to 0"),
        ({"total": "1.005"}, "total", "2 decimal places"),
        ({"total": "12345678901.00"}, "total", "digits"),
        ({"total": "1,000.00"}, "total", "decimal"),
        ({"currency": "ZZZ"}, "currency", "unknown ISO 4217"),
        ({"due_date": "2024-12-31"}, "due_date", "before issue_date"),
        ({"amount_paid": "120.51"}, "amount_paid", "exceeds total"),
        ({"status": "paid"}, "status", "paid needs amount_paid equal to total"),
        ({"status": "partial"}, "status", "partial needs"),
    ],
)
def test_bad_cell_is_rejected_naming_field_and_reason(
    cells: dict[str, str], field: str, reason_part: str
) -> None:
    [(error_field, reason)] = errors_of(**cells)

    assert error_field == field
    assert reason_part in reason


def test_every_bad_cell_of_a_row_is_reported() -> None:
    errors = errors_of(business_id="x", total="-5", issue_date="yesterday")

    assert sorted(field for field, _ in errors if field) == [
        "business_id",
        "issue_date",
        "total",
    ]


def test_rejected_row_keeps_the_bad_value() -> None:
    result = parse_row(3, GOOD | {"total": " -5 "})

    assert result == [
        RowError(3, "total", "Input should be greater than or equal to 0", "-5")
    ]


def test_paid_row_with_full_payment_is_good() -> None:
    result = parse_row(2, GOOD | {"status": "paid", "amount_paid": "120.50"})

    assert isinstance(result, ParsedRow)


def test_header_is_case_and_space_insensitive_in_any_order() -> None:
    header = [f" {name.upper()} " for name in reversed(COLUMNS)]

    assert check_header(header) == list(reversed(COLUMNS))


@pytest.mark.parametrize(
    ("header", "field", "message"),
    [
        (None, "file", "empty"),
        (["business_id", "invoice_number"], "customer_name", "missing"),
        ([*COLUMNS, "amount_payed"], "amount_payed", "unknown"),
        ([*COLUMNS, "total"], "total", "repeated"),
    ],
)
def test_bad_header_refuses_the_whole_file(
    header: list[str] | None, field: str, message: str
) -> None:
    with pytest.raises(CsvFileError) as raised:
        check_header(header)

    assert raised.value.field == field
    assert message in raised.value.message


def test_records_carry_their_line_numbers_past_blank_and_quoted_lines() -> None:
    text = io.StringIO(
        "business_id,invoice_number,customer_name,issue_date,due_date,total\n"
        "1,A,Jo,2025-01-01,2025-01-31,1\n"
        "\n"
        '1,B,"Jo\nLtd",2025-01-01,2025-01-31,1\n'
        "1,C,Jo,2025-01-01,2025-01-31,1\n"
    )

    records = list(read_records(text))

    assert [(line, record["invoice_number"]) for line, record in records] == [
        (2, "A"),
        (4, "B"),
        (6, "C"),
    ]


def test_record_with_the_wrong_number_of_fields_is_rejected_as_a_whole() -> None:
    text = io.StringIO(
        "business_id,invoice_number,customer_name,issue_date,due_date,total\n1,A\n"
    )
    [(line, record)] = list(read_records(text))

    result = parse_row(line, record)

    assert result == [
        RowError(2, None, "expected one field per column: 2 fields, not 6")
    ]
