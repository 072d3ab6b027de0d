"""The deployment files these tests keep true, read the way operators use them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from app.settings import Settings, env_name

REPO_ROOT = Path(__file__).resolve().parents[5]
BACKEND = REPO_ROOT / "backend"
CHECKLIST = REPO_ROOT / "docs" / "deployment-checklist.md"
AZURE = REPO_ROOT / "docs" / "azure.md"
ENV_EXAMPLE = BACKEND / ".env.example"
APP_SPEC = REPO_ROOT / ".do" / "app.yaml"
RENDER_SPEC = REPO_ROOT / "render.yaml"
COMPOSE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = BACKEND / "Dockerfile"
DOCKERIGNORE = BACKEND / ".dockerignore"
KUBERNETES = REPO_ROOT / "docs" / "kubernetes" / "overdue-scheduler.yaml"

# A name of the service's own kind: OVERDUE_... or SCHEDULER_..., not a prefix
# followed by `_` or `*` (as in "any OVERDUE_INVOICE_* variable").
SERVICE_VARIABLE = re.compile(
    r"(?<![A-Za-z0-9_])(?:OVERDUE|SCHEDULER)_[A-Z0-9_]*[A-Z0-9](?![A-Za-z0-9_*])"
)

RUNNABLE = "<!-- runnable -->"
EXPECTED_OUTPUT = "<!-- expected output -->"


def settings_variables() -> set[str]:
    """Every environment variable the service reads, from the settings class."""
    return {env_name(field) for field in Settings.model_fields}


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def parse_yaml(text: str) -> Any:
    return yaml.safe_load(text)


def load_yaml_documents(path: Path) -> list[Any]:
    return list(yaml.safe_load_all(path.read_text()))


def uncommented(text: str, first_line: str) -> str:
    """`text` with the commented block starting at `first_line` uncommented.

    The specs carry their worker variant as such a block; uncommenting it is
    what the operator is told to do.
    """
    lines = text.splitlines()
    start = lines.index(first_line)
    end = start
    while end < len(lines) and lines[end].startswith("#"):
        end += 1
    block = [
        line[2:] if line.startswith("# ") else line[1:] for line in lines[start:end]
    ]
    return "\n".join([*lines[:start], *block, *lines[end:]]) + "\n"


@dataclass(frozen=True)
class Block:
    """A fenced code block of the checklist marked as runnable."""

    language: str
    code: str
    line: int
    expected: str | None

    @property
    def id(self) -> str:
        return f"{self.language}-line{self.line}"


def runnable_blocks(text: str) -> list[Block]:
    """Blocks right after a runnable marker, each with its expected output if any."""
    lines = text.splitlines()
    blocks = []
    for index, line in enumerate(lines):
        if line.strip() != RUNNABLE:
            continue
        language, code, after = _fenced(lines, _next_filled(lines, index + 1))
        expected = None
        marker = _next_filled(lines, after)
        if marker < len(lines) and lines[marker].strip() == EXPECTED_OUTPUT:
            _, expected, _ = _fenced(lines, _next_filled(lines, marker + 1))
        blocks.append(Block(language, code, index + 1, expected))
    return blocks


def fenced_blocks(text: str, language: str) -> list[str]:
    lines = text.splitlines()
    return [
        _fenced(lines, index)[1]
        for index, line in enumerate(lines)
        if line.strip() == f"```{language}"
    ]


def _next_filled(lines: list[str], index: int) -> int:
    while index < len(lines) and not lines[index].strip():
        index += 1
    return index


def _fenced(lines: list[str], start: int) -> tuple[str, str, int]:
    """(language, code, index after the closing fence) of the block at `start`."""
    opening = lines[start].strip()
    if not opening.startswith("```"):
        raise ValueError(f"line {start + 1}: expected a fenced block, got {opening!r}")
    end = lines.index("```", start + 1)
    return opening[3:], "\n".join(lines[start + 1 : end]) + "\n", end + 1


def section(text: str, heading: str) -> str:
    """The text under a `## heading`, up to the next heading of that level."""
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def table_rows(text: str) -> list[list[str]]:
    """Cells of the Markdown table rows in `text`, headers and rules excluded."""
    lines = text.splitlines() + [""]
    rows = []
    for line, following in zip(lines, lines[1:], strict=False):
        if line.startswith("|") and not _is_rule(line) and not _is_rule(following):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def _is_rule(line: str) -> bool:
    return line.startswith("|") and set(line) <= set("|- ")


def psql_table(text: str) -> tuple[list[str], list[tuple[str, ...]]]:
    """(column names, rows) of output printed by psql in its aligned format."""
    lines = text.strip("\n").splitlines()
    header = [name.strip() for name in lines[0].split("|")]
    rows: list[tuple[str, ...]] = []
    for line in lines[2:]:
        count = re.fullmatch(r"\((\d+) rows?\)", line.strip())
        if count:
            assert int(count.group(1)) == len(rows), f"row count line {line!r}"
            break
        rows.append(tuple(cell.strip() for cell in line.split("|")))
    return header, rows
