"""`/api/v1/customers`: thin handlers over the service."""

from __future__ import annotations

from fastapi import APIRouter, status

from app.api.deps import SessionDep
from app.api.pagination import Page, PageDep, page_of
from app.api.params import IdPath, IdQuery
from app.customers import service
from app.customers.schemas import CustomerCreate, CustomerOut, CustomerUpdate

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_customer(data: CustomerCreate, session: SessionDep) -> CustomerOut:
    customer = service.create_customer(session, data)
    session.commit()
    return CustomerOut.model_validate(customer)


@router.get("")
def list_customers(
    session: SessionDep, params: PageDep, business_id: IdQuery = None
) -> Page[CustomerOut]:
    total, rows = service.list_customers(session, params, business_id=business_id)
    items = [CustomerOut.model_validate(row) for row in rows]
    return page_of(items, total, params)


@router.get("/{customer_id}")
def get_customer(customer_id: IdPath, session: SessionDep) -> CustomerOut:
    return CustomerOut.model_validate(service.get_customer(session, customer_id))


@router.patch("/{customer_id}")
def update_customer(
    customer_id: IdPath, data: CustomerUpdate, session: SessionDep
) -> CustomerOut:
    customer = service.get_customer(session, customer_id)
    service.update_customer(session, customer, data)
    session.commit()
    return CustomerOut.model_validate(customer)
