"""CSV import from start to end: check the file, parse rows, write them in chunks.

The file is streamed twice: first to check that it is UTF-8 CSV with a valid
header (counting rows for the progress bar), so that an unreadable file writes
nothing at all; then to import it, CHUNK_ROWS rows per transaction.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Protocol

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from app.invoices.import_writer import ChunkOutcome, ImportWriter
from app.invoices.importer import (
    CsvFileError,
    ParsedRow,
    RowError,
    parse_row,
    read_records,
)

logger = logging.getLogger(__name__)

CHUNK_ROWS = 1000
# The report lists at most this many rejected and skipped rows; counts are exact.
MAX_LISTED = 1000


class Progress(Protocol):
    def start(self, total_rows: int) -> None: ...

    def advance(self, rows: int) -> None: ...


@dataclass(frozen=True)
class SkippedRow:
    line: int
    invoice_number: str
    reason: str = "an invoice with this number already exists; left unchanged"


class ImportReport(BaseModel):
    rows: int = Field(default=0, description="data rows read")
    inserted: int = 0
    skipped: int = Field(default=0, description="invoice number already taken")
    rejected: int = Field(default=0, description="rows refused; see rejected_rows")
    customers_created: int = 0
    rejected_rows: list[RowError] = Field(
        default_factory=list, description=f"the first {MAX_LISTED} problems"
    )
    skipped_rows: list[SkippedRow] = Field(
        default_factory=list, description=f"the first {MAX_LISTED} skipped rows"
    )

    def reject(self, errors: list[RowError]) -> None:
        """Count the rows behind `errors` (one row may have several)."""
        self.rejected += len({error.line for error in errors})
        room = max(MAX_LISTED - len(self.rejected_rows), 0)
        self.rejected_rows += errors[:room]

    def add(self, outcome: ChunkOutcome) -> None:
        self.inserted += outcome.inserted
        self.skipped += len(outcome.skipped)
        self.customers_created += len(outcome.new_customers)
        self.reject(outcome.rejected)
        room = max(MAX_LISTED - len(self.skipped_rows), 0)
        self.skipped_rows += [
            SkippedRow(row.line, row.row.invoice_number)
            for row in outcome.skipped[:room]
        ]


def import_csv(
    session: Session, binary: IO[bytes], progress: Progress | None = None
) -> ImportReport:
    """Import a seekable UTF-8 CSV file; CsvFileError if it cannot be read at all."""
    total = count_rows(binary)
    binary.seek(0)
    logger.info("importing %s invoice rows", total, extra={"event": "import_started"})
    if progress is not None:
        progress.start(total)
    run = _ImportRun(ImportWriter(session), progress)
    with _text(binary) as text:
        for line, record in read_records(text):
            run.feed(line, record)
    run.flush()
    report = run.report
    report.rejected_rows.sort(key=lambda error: error.line)
    logger.info(
        "import finished: %s inserted, %s skipped, %s rejected",
        report.inserted,
        report.skipped,
        report.rejected,
        extra={"event": "import_finished"},
    )
    return report


def count_rows(binary: IO[bytes]) -> int:
    """The number of data rows, after checking the encoding, CSV syntax and header."""
    rows = last_line = 0
    with _text(binary) as text:
        try:
            for line, _ in read_records(text):
                rows, last_line = rows + 1, line
        except UnicodeDecodeError as exc:
            message = f"not UTF-8 text after line {last_line}: {exc}"
            raise CsvFileError(message) from None
        except csv.Error as exc:
            message = f"not valid CSV after line {last_line}: {exc}"
            raise CsvFileError(message) from None
    return rows


class _ImportRun:
    """Rows in, chunks out: one import's running state."""

    def __init__(self, writer: ImportWriter, progress: Progress | None) -> None:
        self.writer = writer
        self.progress = progress
        self.report = ImportReport()
        self.chunk: list[ParsedRow] = []
        self.first_lines: dict[tuple[int, str], int] = {}
        self.reported_rows = 0

    def feed(self, line: int, record: dict[str, str]) -> None:
        self.report.rows += 1
        parsed = parse_row(line, record)
        if isinstance(parsed, list):
            self.report.reject(parsed)
        elif (repeat := self._repeat_of(parsed)) is not None:
            self.report.reject([repeat])
        else:
            self.chunk.append(parsed)
        unreported = self.report.rows - self.reported_rows
        if len(self.chunk) >= CHUNK_ROWS or unreported >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        """Write the pending chunk, then move the progress bar to the rows read."""
        if self.chunk:
            self.report.add(self.writer.write(self.chunk))
            self.chunk = []
        if self.progress is not None:
            self.progress.advance(self.report.rows - self.reported_rows)
        self.reported_rows = self.report.rows

    def _repeat_of(self, parsed: ParsedRow) -> RowError | None:
        first = self.first_lines.setdefault(parsed.row.key, parsed.line)
        if first == parsed.line:
            return None
        reason = f"invoice_number repeats line {first} of this file"
        return RowError(
            parsed.line, "invoice_number", reason, parsed.row.invoice_number
        )


@contextmanager
def _text(binary: IO[bytes]) -> Iterator[io.TextIOWrapper]:
    """The bytes as text, leaving the binary file open afterwards."""
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    try:
        yield text
    finally:
        text.detach()
