from __future__ import annotations

from app.overdue.error_log import MAX_DETAILS_CHARS, MAX_LISTED_ERRORS, ErrorLog


def test_no_errors_render_as_none() -> None:
    assert ErrorLog().render() is None


def test_each_error_names_the_invoice_and_the_reason() -> None:
    log = ErrorLog()

    log.add_invoice(invoice_id=7, invoice_number="INV-7", reason="boom\n  at line 3")

    assert log.render() == "invoice INV-7 (id 7): boom at line 3"


def test_many_errors_are_counted_but_only_the_first_are_listed() -> None:
    log = ErrorLog()

    for number in range(5_000):
        log.add_invoice(
            invoice_id=number, invoice_number=f"N{number}", reason="x" * 900
        )
    details = log.render()

    assert log.count == 5_000
    assert details is not None
    assert len(details) <= MAX_DETAILS_CHARS
    listed = details.count("\n")
    assert 0 < listed <= MAX_LISTED_ERRORS
    assert details.endswith(f"... and {5_000 - listed} more errors (5000 in all)")


def test_a_run_failure_is_said_first() -> None:
    log = ErrorLog()
    log.add_invoice(invoice_id=1, invoice_number="A", reason="bad")

    log.fail_run("OperationalError: server closed the connection")

    assert log.render() == (
        "run failed: OperationalError: server closed the connection\n"
        "invoice A (id 1): bad"
    )
