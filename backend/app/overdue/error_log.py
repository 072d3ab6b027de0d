"""A run's failures, kept readable and bounded however many there are."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_LISTED_ERRORS = 50
MAX_REASON_CHARS = 300
MAX_DETAILS_CHARS = 16_000


@dataclass
class ErrorLog:
    """Counts every error; describes only the first MAX_LISTED_ERRORS of them."""

    count: int = 0
    lines: list[str] = field(default_factory=list)
    run_error: str | None = None

    def add_invoice(self, *, invoice_id: int, invoice_number: str, reason: str) -> None:
        self.add(f"invoice {invoice_number} (id {invoice_id}): {_shorten(reason)}")

    def add(self, line: str) -> None:
        self.count += 1
        if len(self.lines) < MAX_LISTED_ERRORS:
            self.lines.append(line)

    def fail_run(self, reason: str) -> None:
        """The run itself could not go on; said first in the details."""
        self.run_error = _shorten(reason, MAX_REASON_CHARS * 3)

    def render(self) -> str | None:
        """The details text, never over MAX_DETAILS_CHARS; the totals line is kept."""
        head = [f"run failed: {self.run_error}"] if self.run_error else []
        listed = list(self.lines)
        while True:
            text = "\n".join(head + listed + self._totals(len(listed)))
            if len(text) <= MAX_DETAILS_CHARS or not listed:
                return text or None
            listed.pop()

    def _totals(self, listed: int) -> list[str]:
        hidden = self.count - listed
        if hidden <= 0:
            return []
        return [f"... and {hidden} more errors ({self.count} in all)"]


def _shorten(reason: str, limit: int = MAX_REASON_CHARS) -> str:
    reason = " ".join(reason.split())
    return reason if len(reason) <= limit else reason[: limit - 1] + "…"
