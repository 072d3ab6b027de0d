"""The benchmark's report over several rounds: median rows, ratios per round."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bench.phases import Measured
from bench.report import (
    BASELINE,
    FIRST,
    FLOOR,
    FLOOR_WITH_STATUS,
    RERUN,
    SAMPLE_PER_INVOICE,
    SAMPLE_RERUN,
    SAMPLE_RUN,
    BenchResult,
    PhaseRow,
    markdown,
    round_rows,
    title,
)

# Wall seconds per round. The floor drifts between rounds; within a round the
# first run is twice the floor in rounds 2 and 3, 2.2 times in round 1.
WALLS: dict[tuple[str, int | None], list[float]] = {
    (FLOOR, None): [2.0, 2.4, 1.9],
    (FLOOR_WITH_STATUS, None): [3.0, 3.6, 2.9],
    (FIRST, 100): [4.4, 4.8, 3.8],
    (RERUN, 100): [0.44, 0.6, 0.38],
    (SAMPLE_RUN, 100): [1.0, 1.2, 0.9],
    (SAMPLE_RERUN, 100): [0.5, 0.6, 0.5],
    (SAMPLE_PER_INVOICE, None): [50.0, 60.0, 45.0],
}
PEAK_RSS_KB = [80_000, 90_000, 85_000]


def _result(rounds: int) -> BenchResult:
    result = BenchResult(
        database="postgresql",
        server_version="15",
        invoices=1000,
        businesses=10,
        overdue=100,
        newly_overdue=1,
        sample_invoices=10,
        sample_businesses=1,
        build_s=1.0,
        batch_sizes=(100,),
        rounds=rounds,
    )
    # Start-up is measured once, before the rounds.
    result.phases.append(PhaseRow(BASELINE, None, 1000, Measured(wall_s=0.01)))
    for number in range(1, rounds + 1):
        for (phase, batch), walls in WALLS.items():
            rss = PEAK_RSS_KB[number - 1] if batch else 70_000
            measured = Measured(wall_s=walls[number - 1], peak_rss_kb=rss)
            result.phases.append(PhaseRow(phase, batch, 1000, measured, number))
    return result


def test_each_phase_reports_its_median_round() -> None:
    result = _result(3)

    assert result.phase(FIRST, 100).wall_s == 4.4
    assert result.phase(FLOOR).wall_s == 2.0
    assert result.phase(FIRST, 100, in_round=2).wall_s == 4.8
    assert [row.wall_s for row in result.median_rows()] == [
        0.01,
        *(sorted(walls)[1] for walls in WALLS.values()),
    ]


def test_of_an_even_number_of_rounds_the_faster_middle_one_is_reported() -> None:
    result = _result(2)

    assert result.phase(FIRST, 100).wall_s == 4.4
    assert result.phase(FLOOR).wall_s == 2.0


def test_ratios_pair_the_phases_of_one_round_then_take_the_median() -> None:
    result = _result(3)

    ratios = result.ratios(100)

    # Round by round 2.2, 2.0, 2.0; the medians' ratio would be 4.4 / 2.0.
    assert ratios["run_over_floor"] == pytest.approx(2.0)
    assert [r["run_over_floor"] for r in result.ratios_by_round(100)] == pytest.approx(
        [2.2, 2.0, 2.0]
    )
    assert ratios["first_over_rerun"] == pytest.approx(10.0)
    assert ratios["per_invoice_over_run"] == pytest.approx(50.0)
    assert ratios["peak_rss_mb"] == pytest.approx(90_000 / 1024)


def test_the_tables_show_every_round_beside_the_median() -> None:
    result = _result(3)

    rows = round_rows(result)
    text = markdown(result)

    assert rows[0] == [BASELINE, "", "0.010", "", ""]
    assert rows[3] == [FIRST, "100", "4.400", "4.800", "3.800"]
    assert "| phase | batch | round 1 | round 2 | round 3 |" in text
    assert "median of 3 rounds" in text


def test_one_round_keeps_the_single_table() -> None:
    result = _result(1)

    text = markdown(result)

    assert "round 1" not in text
    assert result.ratios(100)["run_over_floor"] == pytest.approx(2.2)


@pytest.mark.parametrize(
    ("database", "says_parts"), [("postgresql", True), ("sqlite", False)]
)
def test_the_title_names_parts_only_where_the_walk_is_cut(
    database: str, says_parts: bool
) -> None:
    result = replace(_result(rounds=1), database=database, parallelism=2)

    shown = title(result)

    assert ("runs in up to 2 parts at once" in shown) is says_parts
