"""The benchmark's own bookkeeping tables, and putting the data back between phases.

Every phase starts from a known state: the data set as built (no
notifications, original statuses and pauses), or that state with some
customers paused for the sample. The `bench_` tables live beside the app's
and mark the database as one the benchmark may wipe.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine, inspect, text

MARKER = "bench_dataset"
FLOOR_KEYS = "bench_keys_floor"
SAMPLE_KEYS = "bench_keys_sample"
BENCH_TABLES = (
    MARKER,
    "bench_original_status",
    "bench_original_pause",
    FLOOR_KEYS,
    SAMPLE_KEYS,
)
APP_TABLES = (
    "notifications",
    "job_execution_logs",
    "invoices",
    "customers",
    "businesses",
)


class NotABenchDatabase(Exception):
    """The database holds invoices the benchmark did not make; it will not wipe them."""


def claim(engine: Engine) -> None:
    """Empty a database for a new data set, if it is empty or the benchmark's own."""
    tables = set(inspect(engine).get_table_names())
    with engine.begin() as connection:
        if MARKER not in tables:
            count = connection.exec_driver_sql("SELECT count(*) FROM invoices")
            if count.scalar_one():
                raise NotABenchDatabase(
                    "the database has invoices and no bench_dataset table; "
                    "give the benchmark a database of its own"
                )
        for table in BENCH_TABLES:
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql(f"TRUNCATE {', '.join(APP_TABLES)}")
        else:
            for table in APP_TABLES:
                connection.exec_driver_sql(f"DELETE FROM {table}")


def remember(engine: Engine, invoices: int) -> None:
    """Keep what the phases change: statuses the run moves, customer pauses."""
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE TABLE {MARKER} (invoices INTEGER)")
        connection.exec_driver_sql(f"INSERT INTO {MARKER} VALUES ({int(invoices)})")
        connection.exec_driver_sql(
            "CREATE TABLE bench_original_status "
            "(id BIGINT PRIMARY KEY, status VARCHAR(20) NOT NULL)"
        )
        connection.exec_driver_sql(
            "INSERT INTO bench_original_status "
            "SELECT id, status FROM invoices WHERE status IN ('sent', 'viewed')"
        )
        connection.exec_driver_sql(
            "CREATE TABLE bench_original_pause "
            "(id BIGINT PRIMARY KEY, reminders_paused BOOLEAN NOT NULL)"
        )
        connection.exec_driver_sql(
            "INSERT INTO bench_original_pause "
            "SELECT id, reminders_paused FROM customers"
        )
    tidy(engine)


def reset(engine: Engine) -> None:
    """Back to the data set as built, pauses aside: no notifications, no runs."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("TRUNCATE notifications, job_execution_logs")
        else:
            connection.exec_driver_sql("DELETE FROM notifications")
            connection.exec_driver_sql("DELETE FROM job_execution_logs")
        connection.exec_driver_sql(
            "UPDATE invoices SET status = o.status FROM bench_original_status AS o "
            "WHERE o.id = invoices.id AND invoices.status <> o.status"
        )
        connection.exec_driver_sql(
            "UPDATE invoices SET reminded_stage = 0 WHERE reminded_stage <> 0"
        )
    tidy(engine)


def pause_all_but(engine: Engine, business_ids: Iterable[int]) -> None:
    """Pause every customer outside `business_ids`: only their invoices are due work."""
    kept = ", ".join(str(int(business_id)) for business_id in business_ids)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE customers SET reminders_paused = TRUE "
            f"WHERE business_id NOT IN ({kept})"
        )
    tidy(engine)


def restore_pauses(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE customers SET reminders_paused = p.reminders_paused "
            "FROM bench_original_pause AS p WHERE p.id = customers.id"
        )
    tidy(engine)


def tidy(engine: Engine) -> None:
    """VACUUM ANALYZE on PostgreSQL, as autovacuum would do after bulk changes.

    Limitation: SQLite gets no ANALYZE, as a SQLite deployment would not run
    one either; its planner works from the schema alone.
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")


def save_keys(engine: Engine, table: str) -> None:
    """Copy the (invoice_id, kind, stage) of every notification into `table`."""
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
        connection.exec_driver_sql(
            f"CREATE TABLE {table} AS SELECT invoice_id, kind, stage FROM notifications"
        )


def keys_differing(engine: Engine, table: str) -> int:
    """How many keys are in `table` or in notifications but not in both."""
    query = text(
        "SELECT count(*) FROM ("
        f"SELECT invoice_id, kind, stage FROM {table} "
        "EXCEPT SELECT invoice_id, kind, stage FROM notifications) AS missing"
    )
    extra = text(
        "SELECT count(*) FROM ("
        "SELECT invoice_id, kind, stage FROM notifications "
        f"EXCEPT SELECT invoice_id, kind, stage FROM {table}) AS extra"
    )
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one()) + int(
            connection.execute(extra).scalar_one()
        )


def drop_keys(engine: Engine, *tables: str) -> None:
    with engine.begin() as connection:
        for table in tables:
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
