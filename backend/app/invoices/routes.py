"""`/api/v1/invoices`: thin handlers over the service, payments and the importer."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, UploadFile

from app.api.clock import ClockDep
from app.api.deps import SessionDep, SettingsDep
from app.api.pagination import Page, PageDep, page_of
from app.api.params import IdPath, IdQuery
from app.errors import InvalidInput
from app.invoices import payments, service
from app.invoices.import_run import ImportReport, import_csv
from app.invoices.importer import COLUMNS_HELP
from app.invoices.models import InvoiceStatus
from app.invoices.queries import InvoiceFilters
from app.invoices.schemas import InvoiceCreate, InvoiceOut, InvoiceUpdate, PaymentCreate

router = APIRouter(prefix="/api/v1/invoices", tags=["invoices"])

OVERDUE_HELP = (
    "only invoices past due in their business's time zone, not draft, paid or "
    "cancelled, with a balance left (whether or not reminders are paused)"
)


def invoice_filters(
    business_id: IdQuery = None,
    customer_id: IdQuery = None,
    status: Annotated[list[InvoiceStatus] | None, Query()] = None,
    due_from: Annotated[date | None, Query(description="inclusive")] = None,
    due_to: Annotated[date | None, Query(description="inclusive")] = None,
    overdue_only: Annotated[bool, Query(description=OVERDUE_HELP)] = False,
    include_deleted: bool = False,
) -> InvoiceFilters:
    if due_from is not None and due_to is not None and due_to < due_from:
        raise InvalidInput(
            f"due_to is before due_from {due_from}", field="due_to", value=str(due_to)
        )
    return InvoiceFilters(
        business_id=business_id,
        customer_id=customer_id,
        statuses=tuple(status or ()),
        due_from=due_from,
        due_to=due_to,
        overdue_only=overdue_only,
        include_deleted=include_deleted,
    )


FiltersDep = Annotated[InvoiceFilters, Depends(invoice_filters)]


@router.post("", status_code=201)
def create_invoice(data: InvoiceCreate, session: SessionDep) -> InvoiceOut:
    invoice = service.create_invoice(session, data)
    session.commit()
    return InvoiceOut.model_validate(invoice)


@router.post(
    "/import", summary="Import invoices from a CSV file", description=COLUMNS_HELP
)
def import_invoices(file: UploadFile, session: SessionDep) -> ImportReport:
    return import_csv(session, file.file)


@router.get("")
def list_invoices(
    session: SessionDep,
    params: PageDep,
    filters: FiltersDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> Page[InvoiceOut]:
    """Deleted invoices are left out unless include_deleted is true."""
    total, rows = service.list_invoices(
        session,
        filters,
        params,
        now=clock(),
        default_zone=settings.overdue_invoice_timezone,
    )
    return page_of([InvoiceOut.model_validate(row) for row in rows], total, params)


@router.get("/{invoice_id}")
def get_invoice(invoice_id: IdPath, session: SessionDep) -> InvoiceOut:
    """Deleted invoices are still shown, with their deleted_at."""
    return InvoiceOut.model_validate(service.get_invoice(session, invoice_id))


@router.patch("/{invoice_id}")
def update_invoice(
    invoice_id: IdPath, data: InvoiceUpdate, session: SessionDep
) -> InvoiceOut:
    invoice = service.get_invoice(session, invoice_id)
    service.update_invoice(session, invoice, data)
    session.commit()
    return InvoiceOut.model_validate(invoice)


@router.delete("/{invoice_id}", status_code=204)
def delete_invoice(invoice_id: IdPath, session: SessionDep, clock: ClockDep) -> None:
    """Soft delete; deleting a deleted invoice changes nothing."""
    invoice = service.get_invoice(session, invoice_id)
    service.delete_invoice(session, invoice, clock())
    session.commit()


@router.post("/{invoice_id}/payments")
def record_payment(
    invoice_id: IdPath, data: PaymentCreate, session: SessionDep
) -> InvoiceOut:
    """Refused for draft, cancelled, deleted or fully paid invoices and overpayment."""
    invoice = payments.record_payment(session, invoice_id, data.amount)
    session.commit()
    return InvoiceOut.model_validate(invoice)
