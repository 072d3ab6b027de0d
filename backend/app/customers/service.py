"""Customers: create, read, list, update. A name is unique within its business."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.pagination import PageParams, fetch_page
from app.businesses.models import Business
from app.customers.models import Customer
from app.customers.schemas import CustomerCreate, CustomerUpdate
from app.db.lookup import get_or_not_found
from app.errors import Conflict, InvalidInput

logger = logging.getLogger(__name__)


def create_customer(session: Session, data: CustomerCreate) -> Customer:
    if session.get(Business, data.business_id) is None:
        raise InvalidInput(
            f"no business with id {data.business_id}",
            field="business_id",
            value=data.business_id,
        )
    _refuse_taken_name(session, data.business_id, data.name)
    customer = Customer(**data.model_dump())
    session.add(customer)
    session.flush()
    logger.info(
        "customer created",
        extra={"event": "customer_created", "customer_id": customer.id},
    )
    return customer


def get_customer(session: Session, customer_id: int) -> Customer:
    """The customer, or NotFound naming `customer_id`."""
    return get_or_not_found(session, Customer, customer_id, "customer")


def list_customers(
    session: Session, params: PageParams, *, business_id: int | None = None
) -> tuple[int, Sequence[Customer]]:
    statement = select(Customer).order_by(Customer.id)
    if business_id is not None:
        statement = statement.where(Customer.business_id == business_id)
    return fetch_page(session, statement, params)


def update_customer(
    session: Session, customer: Customer, data: CustomerUpdate
) -> Customer:
    changes = data.model_dump(exclude_unset=True)
    if changes.get("name", customer.name) != customer.name:
        _refuse_taken_name(session, customer.business_id, changes["name"])
    for field, value in changes.items():
        setattr(customer, field, value)
    session.flush()
    return customer


def _refuse_taken_name(session: Session, business_id: int, name: str) -> None:
    # Limitation: no unique key backs this check (the schema predates it), so two
    # concurrent requests could still both create the same name.
    taken = session.scalar(
        select(Customer.id).where(
            Customer.business_id == business_id, Customer.name == name
        )
    )
    if taken is not None:
        raise Conflict(
            f"business {business_id} already has customer {taken} named {name!r}",
            field="name",
            value=name,
        )
