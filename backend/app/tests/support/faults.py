"""Real faults injected into the database, for error-isolation tests."""

from __future__ import annotations

from sqlalchemy import Engine, text

REASON = "notification refused by test trigger"


def reject_notifications_for(engine: Engine, invoice_ids: list[int]) -> None:
    """Make the database itself refuse notifications of these invoices."""
    ids = ", ".join(str(int(i)) for i in invoice_ids)
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text(_SQLITE_TRIGGER.format(ids=ids, reason=REASON)))
        else:
            connection.execute(text(_PG_FUNCTION.format(ids=ids, reason=REASON)))
            connection.execute(text(_PG_TRIGGER))


_SQLITE_TRIGGER = """
CREATE TRIGGER reject_test_notifications BEFORE INSERT ON notifications
WHEN NEW.invoice_id IN ({ids})
BEGIN SELECT RAISE(ABORT, '{reason}'); END
"""

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION reject_test_notifications() RETURNS trigger AS $$
BEGIN
  IF NEW.invoice_id IN ({ids}) THEN RAISE EXCEPTION '{reason}'; END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql
"""

_PG_TRIGGER = """
CREATE TRIGGER reject_test_notifications BEFORE INSERT ON notifications
FOR EACH ROW EXECUTE FUNCTION reject_test_notifications()
"""


def remove_rejections(engine: Engine) -> None:
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text("DROP TRIGGER IF EXISTS reject_test_notifications"))
        else:
            connection.execute(
                text(
                    "DROP TRIGGER IF EXISTS reject_test_notifications ON notifications"
                )
            )


_PG_KILLER = """
CREATE OR REPLACE FUNCTION kill_test_connection() RETURNS trigger AS $$
BEGIN
  IF NEW.invoice_id = {invoice_id} THEN
    PERFORM pg_terminate_backend(pg_backend_pid());
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql
"""


_PG_KILLER_TRIGGER = """
CREATE TRIGGER reject_test_notifications BEFORE INSERT ON notifications
FOR EACH ROW EXECUTE FUNCTION kill_test_connection()
"""


def kill_connection_on_notification(engine: Engine, invoice_id: int) -> None:
    """PostgreSQL drops the writing connection when this invoice is notified."""
    with engine.begin() as connection:
        connection.execute(text(_PG_KILLER.format(invoice_id=int(invoice_id))))
        connection.execute(text(_PG_KILLER_TRIGGER))
