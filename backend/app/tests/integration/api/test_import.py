from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.businesses.models import Business
from app.customers.models import Customer
from app.invoices import import_run
from app.invoices.import_writer import ImportWriter
from app.invoices.importer import ParsedRow
from app.invoices.models import Invoice
from app.tests.support.factories import make_business, make_customer, make_invoice

URL = "/api/v1/invoices/import"
HEADER = (
    "business_id,invoice_number,customer_name,customer_email,status,"
    "issue_date,due_date,total,amount_paid,currency"
)


@pytest.fixture
def business(session: Session) -> Business:
    business = make_business(session, currency="EUR", timezone="Europe/Berlin")
    session.commit()
    return business


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return "\n".join([header, *rows, ""]).encode()


def upload(api_client: TestClient, content: bytes) -> Any:
    response = api_client.post(URL, files={"file": ("invoices.csv", content)})
    return response.status_code, response.json()


def row(business: Business, number: str, **cells: str) -> str:
    values = {
        "business_id": str(business.id),
        "invoice_number": number,
        "customer_name": "Jo",
        "customer_email": "",
        "status": "",
        "issue_date": "2025-01-01",
        "due_date": "2025-01-31",
        "total": "100.00",
        "amount_paid": "",
        "currency": "",
    } | cells
    return ",".join(values.values())


def snapshot(factory: sessionmaker[Session]) -> list[tuple[Any, ...]]:
    """Every invoice and customer, read in a short session of its own."""
    with factory() as session:
        invoices = session.execute(
            select(
                Invoice.id,
                Invoice.business_id,
                Invoice.customer_id,
                Invoice.invoice_number,
                Invoice.status,
                Invoice.total,
                Invoice.amount_paid,
                Invoice.updated_at,
            ).order_by(Invoice.id)
        ).all()
        customers = session.execute(
            select(Customer.id, Customer.name, Customer.email).order_by(Customer.id)
        ).all()
    return [*invoices, *customers]


def test_import_creates_invoices_and_their_customers(
    api_client: TestClient, session: Session, business: Business
) -> None:
    content = csv_file(
        row(business, "A-1", customer_email="jo@example.com"),
        row(business, "A-2", status="partial", amount_paid="40", currency="eur"),
        row(business, "A-3", customer_name="Kim", status="paid", amount_paid="100"),
    )

    status_code, report = upload(api_client, content)

    assert status_code == 200
    assert {k: report[k] for k in ("rows", "inserted", "skipped", "rejected")} == {
        "rows": 3,
        "inserted": 3,
        "skipped": 0,
        "rejected": 0,
    }
    assert report["customers_created"] == 2
    listed = api_client.get("/api/v1/invoices").json()["items"]
    assert [(i["invoice_number"], i["status"], i["balance_due"]) for i in listed] == [
        ("A-1", "sent", "100.00"),
        ("A-2", "partial", "60.00"),
        ("A-3", "paid", "0.00"),
    ]
    assert {i["currency"] for i in listed} == {"EUR"}


def test_existing_customer_is_matched_by_name(
    api_client: TestClient, session: Session, business: Business
) -> None:
    customer = make_customer(session, business=business, name="Jo", email=None)
    session.commit()

    status_code, report = upload(api_client, csv_file(row(business, "A-1")))

    assert report["customers_created"] == 0
    [invoice] = api_client.get("/api/v1/invoices").json()["items"]
    assert invoice["customer_id"] == customer.id


def test_importing_the_same_file_twice_changes_nothing(
    api_client: TestClient, session_factory: sessionmaker[Session], business: Business
) -> None:
    content = csv_file(
        row(business, "A-1"), row(business, "A-2", customer_name="Kim"), "bad,row"
    )
    upload(api_client, content)
    before = snapshot(session_factory)

    status_code, report = upload(api_client, content)

    assert status_code == 200
    assert (report["inserted"], report["skipped"], report["rejected"]) == (0, 2, 1)
    assert report["customers_created"] == 0
    assert [r["line"] for r in report["skipped_rows"]] == [2, 3]
    assert snapshot(session_factory) == before


def test_existing_invoice_with_other_values_is_skipped_unchanged(
    api_client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    business: Business,
) -> None:
    customer = make_customer(session, business=business, name="Jo")
    make_invoice(session, customer=customer, invoice_number="A-1", currency="EUR")
    session.commit()
    before = snapshot(session_factory)

    status_code, report = upload(api_client, csv_file(row(business, "A-1", total="5")))

    assert (report["inserted"], report["skipped"]) == (0, 1)
    assert "already exists" in report["skipped_rows"][0]["reason"]
    assert snapshot(session_factory) == before


def test_bad_rows_are_reported_and_good_rows_kept(
    api_client: TestClient, business: Business
) -> None:
    content = csv_file(
        row(business, "GOOD-1"),
        row(business, "BAD-1", due_date="2024-12-01"),
        row(business, "BAD-2", total="-3"),
        row(business, "GOOD-1"),
        row(business, "BAD-3", currency="USD"),
        row(business, "BAD-4", business_id="999"),
        "1,only-two-fields",
        row(business, "GOOD-2"),
    )

    status_code, report = upload(api_client, content)

    assert status_code == 200
    assert (report["inserted"], report["rejected"]) == (2, 6)
    assert [(r["line"], r["field"]) for r in report["rejected_rows"]] == [
        (3, "due_date"),
        (4, "total"),
        (5, "invoice_number"),
        (6, "currency"),
        (7, "business_id"),
        (8, None),
    ]
    assert report["rejected_rows"][2]["reason"] == (
        "invoice_number repeats line 2 of this file"
    )
    listed = api_client.get("/api/v1/invoices").json()["items"]
    assert [i["invoice_number"] for i in listed] == ["GOOD-1", "GOOD-2"]


def test_rejected_row_creates_no_customer(
    api_client: TestClient, session: Session, business: Business
) -> None:
    content = csv_file(row(business, "BAD", customer_name="Ghost", total="-1"))

    upload(api_client, content)

    assert session.scalars(select(Customer.name)).all() == []


def test_rows_spread_over_many_chunks_are_all_imported(
    api_client: TestClient, business: Business, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_run, "CHUNK_ROWS", 3)
    rows = [row(business, f"N-{n}", customer_name=f"C{n % 4}") for n in range(10)]

    status_code, report = upload(api_client, csv_file(*rows, row(business, "N-0")))

    assert (report["inserted"], report["rejected"]) == (10, 1)
    assert report["customers_created"] == 4
    assert api_client.get("/api/v1/invoices").json()["total"] == 10


def test_report_lists_only_the_first_problems_but_counts_all(
    api_client: TestClient, business: Business, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_run, "MAX_LISTED", 2)
    rows = [row(business, f"B-{n}", total="-1") for n in range(5)]

    status_code, report = upload(api_client, csv_file(*rows))

    assert report["rejected"] == 5
    assert [r["line"] for r in report["rejected_rows"]] == [2, 3]


def test_chunk_refused_by_the_database_is_retried_row_by_row(
    api_client: TestClient, business: Business, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_chunk = ImportWriter._write_chunk

    def refuse_boom(self: ImportWriter, rows: list[ParsedRow]) -> Any:
        if any(parsed.row.invoice_number == "BOOM" for parsed in rows):
            raise IntegrityError("INSERT", {}, Exception("refused for the test"))
        return write_chunk(self, rows)

    monkeypatch.setattr(ImportWriter, "_write_chunk", refuse_boom)
    content = csv_file(row(business, "A"), row(business, "BOOM"), row(business, "B"))

    status_code, report = upload(api_client, content)

    assert (report["inserted"], report["rejected"]) == (2, 1)
    assert report["rejected_rows"][0]["line"] == 3
    assert "refused by the database" in report["rejected_rows"][0]["reason"]


@pytest.mark.parametrize(
    ("content", "field", "detail_part"),
    [
        (b"", "file", "empty"),
        (b"business_id,invoice_number\n1,A\n", "customer_name", "missing"),
        (csv_file(header=HEADER + ",notes"), "notes", "unknown"),
        (
            HEADER.encode() + b"\n1,A,J\xf6rg,,,2025-01-01,2025-01-31,1,,\n",
            "file",
            "UTF-8",
        ),
        (HEADER.encode() + b'\n1,"A\x00,x\n', "file", "CSV"),
    ],
)
def test_unreadable_file_is_refused_whole(
    api_client: TestClient, content: bytes, field: str, detail_part: str
) -> None:
    status_code, body = upload(api_client, content)

    assert status_code == 422
    assert body["error"] == "invalid_csv_file"
    assert body["field"] == field
    assert detail_part in body["detail"]


def test_bad_bytes_after_good_rows_write_nothing(
    api_client: TestClient, business: Business, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_run, "CHUNK_ROWS", 2)
    good = [row(business, f"G-{n}") for n in range(5)]
    content = csv_file(*good) + b"1,X,\xff\xfe,,,2025-01-01,2025-01-31,1,,\n"

    status_code, body = upload(api_client, content)

    assert status_code == 422
    assert api_client.get("/api/v1/invoices").json()["total"] == 0


def test_byte_order_mark_is_accepted(
    api_client: TestClient, business: Business
) -> None:
    content = b"\xef\xbb\xbf" + csv_file(row(business, "A-1"))

    status_code, report = upload(api_client, content)

    assert (status_code, report["inserted"]) == (200, 1)


def test_upload_without_a_file_is_refused(api_client: TestClient) -> None:
    response = api_client.post(URL)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"
