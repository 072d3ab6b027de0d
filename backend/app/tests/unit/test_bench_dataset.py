"""The benchmark's data set in issue order: the same invoices, renumbered."""

from __future__ import annotations

from typing import Any

import pytest

from bench.dataset import DatasetSpec, _invoices

SPEC = DatasetSpec(invoices=3_000, businesses=30)


def _by_number(rows: list[dict[str, Any]]) -> dict[tuple[int, str], dict[str, Any]]:
    """Each invoice without its id, keyed by what names it within a business."""
    return {
        (row["business_id"], row["invoice_number"]): {
            key: value for key, value in row.items() if key != "id"
        }
        for row in rows
    }


def test_issued_order_renumbers_the_same_invoices() -> None:
    drawn = list(_invoices(SPEC))
    issued = list(
        _invoices(DatasetSpec(invoices=3_000, businesses=30, row_order="issued"))
    )

    assert _by_number(issued) == _by_number(drawn)
    assert sorted(row["id"] for row in issued) == list(range(1, SPEC.invoices + 1))


def test_issued_order_numbers_invoices_by_issue_date() -> None:
    rows = list(
        _invoices(DatasetSpec(invoices=3_000, businesses=30, row_order="issued"))
    )

    in_id_order = sorted(rows, key=lambda row: row["id"])
    issue_dates = [row["issue_date"] for row in in_id_order]
    assert issue_dates == sorted(issue_dates)
    # Within a day, the order drawn: ids stay a stable function of the seed.
    first_day = [row for row in in_id_order if row["issue_date"] == issue_dates[0]]
    numbers = [(row["invoice_number"], row["business_id"]) for row in first_day]
    assert numbers == sorted(numbers)


def test_random_order_keeps_ids_unrelated_to_dates() -> None:
    issue_dates = [row["issue_date"] for row in _invoices(SPEC)]

    assert issue_dates != sorted(issue_dates)


def test_unknown_row_order_is_refused_by_name() -> None:
    with pytest.raises(
        ValueError, match="row_order must be one of random, issued, not 'due'"
    ):
        DatasetSpec(invoices=10, row_order="due")
