"""Imports every model so that `Base.metadata` knows the whole schema."""

from app.businesses.models import Business
from app.customers.models import Customer
from app.db.base import Base
from app.executions.models import JobExecutionLog
from app.invoices.models import Invoice
from app.notifications.models import Notification

__all__ = ["Base", "Business", "Customer", "Invoice", "JobExecutionLog", "Notification"]
