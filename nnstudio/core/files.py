"""Reading a file a user named: a regular file within a size limit, or one sentence saying why not.

A path typed by hand may name a folder, a device such as /dev/zero (endless), a named pipe (which
blocks until someone writes to it) or a film the size of the disk; none of these may hang nnstudio
or fill its memory. The file itself is only ever read, never changed.
"""

from __future__ import annotations

from pathlib import Path

from nnstudio.core.errors import NNStudioError


def read_file(path: Path, max_bytes: int, kind: str) -> bytes:
    """The bytes of `path`, which must be a regular file of at most `max_bytes` (`kind` names it for messages)."""
    try:
        if path.exists() and not path.is_file() and not path.is_dir():  # a folder fails below, with its reason
            raise NNStudioError(f"cannot read {path}: it is not a regular file (a device or a pipe?), not {kind}")
        with path.open("rb") as stream:
            raw = stream.read(max_bytes + 1)
    except OSError as error:
        raise NNStudioError(f"cannot read {path}: {error.strerror or error}") from None
    if len(raw) > max_bytes:
        raise NNStudioError(f"{path.name} is larger than {max_bytes / 1e6:g} MB: too large for {kind}")
    return raw
