"""What the command line prints and how it ends: exit codes, one-line errors, JSON or text lines."""

from __future__ import annotations

import argparse
import json
import math

EXIT_OK, EXIT_DIVERGED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


def one_line(text: str) -> str:
    """`text` on one line: a path or an argument typed with a line break in it stays visible, escaped."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is a single line on stderr (and exit code 2)."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {one_line(message)} (see --help)\n")


def emit(options: argparse.Namespace, obj: dict, text: str) -> None:
    """One JSON object (a line that tools read; its "type" comes first) or one line of text."""
    print(json.dumps(obj) if options.json else text, flush=True)


def json_number(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else value
