"""Reading the README from a test: its sections, code blocks and tables, so that its claims can be checked."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def section(title: str) -> str:
    """The text under `## title` (or `### title`), up to the next heading of the same or a higher level."""
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"^(#+) {re.escape(title)}\n", text, re.MULTILINE)
    assert match, f"the README has no section {title!r}"
    level = len(match[1])
    rest = text[match.end() :]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.MULTILINE)
    return rest[: end.start()] if end else rest


def code_blocks(text: str) -> list[tuple[str, str]]:
    """(language, code) of each fenced block, in order."""
    return [(m[1], m[2]) for m in _FENCE.finditer(text)]


def table_rows(text: str) -> list[list[str]]:
    """The cells of every row of the first Markdown table in `text`, without its header and rule."""
    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert len(rows) >= 3, "no table"
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def backticked(text: str) -> set[str]:
    """The `names` in backticks in `text` (outside code blocks) that look like identifiers, JSON's null,
    true and false aside."""
    prose = _FENCE.sub("", text)
    return {name for name in re.findall(r"`([^`\n]+)`", prose) if name.isidentifier()} - {"null", "true", "false"}
