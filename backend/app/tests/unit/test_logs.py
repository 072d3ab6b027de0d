from __future__ import annotations

import json
import logging

from app.logs import JsonFormatter, TextFormatter


def _record(**extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord(
        {
            "name": "app.test",
            "levelno": logging.INFO,
            "levelname": "INFO",
            "msg": "slot %s claimed",
            "args": ("2025-03-15T05:00:00+00:00",),
        }
    )
    record.__dict__.update(extra)
    return record


def test_json_lines_carry_the_message_and_the_event_fields() -> None:
    line = JsonFormatter().format(_record(event="slot_claimed", run_id="r-1"))

    entry = json.loads(line)
    assert entry["message"] == "slot 2025-03-15T05:00:00+00:00 claimed"
    assert entry["level"] == "info"
    assert entry["event"] == "slot_claimed"
    assert entry["run_id"] == "r-1"


def test_text_lines_are_readable_with_fields_at_the_end() -> None:
    line = TextFormatter().format(_record(event="slot_claimed"))

    assert line.endswith(
        "INFO    app.test: slot 2025-03-15T05:00:00+00:00 claimed [event=slot_claimed]"
    )
