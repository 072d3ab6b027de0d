"""`/api/v1/businesses`: thin handlers over the service."""

from __future__ import annotations

from fastapi import APIRouter, status

from app.api.deps import SessionDep
from app.api.pagination import Page, PageDep, page_of
from app.api.params import IdPath
from app.businesses import service
from app.businesses.schemas import BusinessCreate, BusinessOut, BusinessUpdate

router = APIRouter(prefix="/api/v1/businesses", tags=["businesses"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_business(data: BusinessCreate, session: SessionDep) -> BusinessOut:
    business = service.create_business(session, data)
    session.commit()
    return BusinessOut.model_validate(business)


@router.get("")
def list_businesses(session: SessionDep, params: PageDep) -> Page[BusinessOut]:
    total, rows = service.list_businesses(session, params)
    items = [BusinessOut.model_validate(row) for row in rows]
    return page_of(items, total, params)


@router.get("/{business_id}")
def get_business(business_id: IdPath, session: SessionDep) -> BusinessOut:
    return BusinessOut.model_validate(service.get_business(session, business_id))


@router.patch("/{business_id}")
def update_business(
    business_id: IdPath, data: BusinessUpdate, session: SessionDep
) -> BusinessOut:
    business = service.get_business(session, business_id)
    service.update_business(session, business, data)
    session.commit()
    return BusinessOut.model_validate(business)
