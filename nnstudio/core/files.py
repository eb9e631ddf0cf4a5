"""Reading a file a user named: a regular file within a size limit, or one sentence saying why not.

A path typed by hand may name a folder, a device such as /dev/zero (endless), a named pipe (which
blocks until someone writes to it) or a film the size of the disk; none of these may hang nnstudio
or fill its memory. The file itself is only ever read, never changed.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from nnstudio.core.errors import NNStudioError


def size_text(n_bytes: int) -> str:
    """A size as people read it: "812 bytes", "16 kB", "3.5 MB" (1 kB = 1024 bytes)."""
    if n_bytes < 1024:
        return f"{n_bytes:,} bytes"
    if n_bytes < 1024**2:
        return f"{n_bytes / 1024:,.0f} kB"
    return f"{n_bytes / 1024**2:,.1f} MB"


def read_file(path: Path, max_bytes: int, kind: str) -> bytes:
    """The bytes of `path`, which must be a regular file of at most `max_bytes` (`kind` names it for messages)."""
    try:
        if path.exists() and not path.is_file() and not path.is_dir():  # a folder fails below, with its reason
            raise NNStudioError(f"cannot read {path}: it is not a regular file (a device or a pipe?), not {kind}")
        with path.open("rb") as stream:
            # read(n) sets aside n bytes before reading: ask for what the file holds (one more shows
            # it is larger than the limit, or still growing), not for the limit itself
            size = os.fstat(stream.fileno()).st_size
            raw = stream.read(min(size, max_bytes) + 1)
            if size < len(raw) <= max_bytes:  # it grew since: read on, up to the limit
                raw += stream.read(max_bytes + 1 - len(raw))
    except OSError as error:
        raise NNStudioError(f"cannot read {path}: {error.strerror or error}") from None
    if len(raw) > max_bytes:
        raise NNStudioError(f"{path.name} is larger than {size_text(max_bytes)}: too large for {kind}")
    return raw


# tomllib needs memory and time quadratic in the number of parts of one dotted key or table header
# (a.a.a… = 1 or [a.a.a…]): 60 kB of one took 3.5 GB. No file of ours needs more than a few parts,
# so a long chain is refused before tomllib sees it.
MAX_DOTTED_PARTS = 32
_STRING = re.compile(r'"""[\s\S]*?"""' r"|'''[\s\S]*?'''" r'|"(?:\\.|[^"\\\n])*"' r"|'[^'\n]*'")
_DOTTED_CHAIN = re.compile(  # a key starts a line, or follows [ (a header), { or , (an inline table)
    r"""(?:^|[\[{,])[ \t]*(?:(?:[A-Za-z0-9_-]+|"")[ \t]*\.[ \t]*){%d,}""" % MAX_DOTTED_PARTS,  # noqa: UP031
    re.MULTILINE,
)


def _has_long_dotted_key(text: str) -> bool:
    """Whether a key or header outside any string has more than MAX_DOTTED_PARTS parts."""
    return _DOTTED_CHAIN.search(_STRING.sub('""', text)) is not None


def parse_toml(raw: bytes | str, what: str, max_bytes: int) -> dict[str, Any]:
    """The table in `raw`, TOML text of at most `max_bytes`, or one sentence naming `what` and why not.

    Every TOML reader of nnstudio goes through here: experiment files, the run inside an archive,
    lessons. A UTF-8 byte-order mark (as Windows editors write) is accepted.
    """
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if len(raw) > max_bytes:
        raise NNStudioError(f"{what} is {size_text(len(raw))}; at most {size_text(max_bytes)} is read")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NNStudioError(f"{what} is not UTF-8 text") from None
    if _has_long_dotted_key(text):
        raise NNStudioError(f"{what} has a dotted key of more than {MAX_DOTTED_PARTS} parts; none is needed")
    try:
        return tomllib.loads(text)
    except ValueError as error:  # TOMLDecodeError, or a number too long for Python's int()
        raise NNStudioError(f"{what} is not valid TOML: {error}") from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise NNStudioError(f"{what} nests its values too deeply") from None
