"""The glossary: the words nnstudio uses, explained in plain words (resources/help/glossary.txt).

The file is plain text, so it reads well as it is: a line "## term" starts an entry, the lines
after it are its text, a blank line starts a new paragraph; whatever comes before the first entry
is a note for whoever edits the file. Help (F1) shows every entry, and a control that uses a term
opens the help at that term's entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nnstudio.core.errors import NNStudioError
from nnstudio.core.files import read_file
from nnstudio.core.storage.resources import resource_path

GLOSSARY_PATH = resource_path("help", "glossary.txt")
MAX_GLOSSARY_BYTES = 256 * 1024


@dataclass(frozen=True)
class GlossaryEntry:
    term: str  # as the heading says it: "learning rate", "MSE, RMSE and R²"
    paragraphs: tuple[str, ...]

    @property
    def key(self) -> str:
        return term_key(self.term)


def term_key(term: str) -> str:
    """The entry's anchor: lower case, words joined by '-' ("MSE, RMSE and R²" → "mse-rmse-and-r²")."""
    return "-".join(re.findall(r"\w+", term.lower()))


def parse_glossary(text: str) -> tuple[GlossaryEntry, ...]:
    """The entries of a glossary text, in order; a heading without text, or twice the same term, is refused."""
    entries: list[GlossaryEntry] = []
    term, lines = None, []

    def close() -> None:
        if term is None:
            return
        paragraphs = tuple(" ".join(block.split()) for block in "\n".join(lines).split("\n\n") if block.strip())
        if not paragraphs:
            raise NNStudioError(f"the glossary entry {term!r} has no text")
        entries.append(GlossaryEntry(term, paragraphs))

    for line in text.splitlines():
        if line.startswith("## "):
            close()
            term, lines = line[3:].strip(), []
            if not term:
                raise NNStudioError("a glossary heading '## ' names no term")
        elif term is not None:
            lines.append(line)
    close()
    keys = [entry.key for entry in entries]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise NNStudioError(f"the glossary explains {twice[0]!r} twice")
    return tuple(entries)


def load_glossary() -> tuple[GlossaryEntry, ...]:
    """The shipped glossary (a missing or unreadable file: NNStudioError, in one sentence)."""
    raw = read_file(GLOSSARY_PATH, MAX_GLOSSARY_BYTES, "the glossary")
    try:
        return parse_glossary(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise NNStudioError(f"{GLOSSARY_PATH.name} is not UTF-8 text: reinstall nnstudio") from None
