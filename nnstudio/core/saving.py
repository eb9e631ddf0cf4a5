"""Writing a file so that a crash, a full disk or a kill never leaves half of it.

The content goes to a hidden temporary file beside the target (same folder, so the rename
cannot cross file systems), is flushed to the disk, optionally checked, and then renamed over
the target in one step; the folder itself is flushed too, so the rename survives a power cut.
A temporary file left by a save that was killed half-way is removed by a later save into the
same folder, once it is old enough that no other save can still be writing it.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from nnstudio.core.errors import NNStudioError

STALE_AFTER_SECONDS = 10 * 60  # no save takes this long: an older temporary file is an orphan
TEMPORARY_MARK = "~"  # ".<name>~<8 random characters>.tmp"
# Our temporary files, as tempfile.mkstemp names them: ".<name>~" + 8 characters of [a-z0-9_] + ".tmp".
_OURS = re.compile(r"\..+~[a-z0-9_]{8}\.tmp")


def write_atomically(path: Path, content: bytes, check: Callable[[Path], None] | None = None) -> None:
    """Write `content` to `path` through a temporary file and a rename; a crash never leaves half a file.

    `check(temporary)` runs on the written temporary file before the rename: if it raises, the
    old file stays as it was. A symbolic link is followed: its target is replaced, the link stays.
    """
    path = _followed(Path(path))
    directory = path.parent if str(path.parent) else Path(".")
    remove_stale_temporaries(directory)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}{TEMPORARY_MARK}", suffix=".tmp", dir=directory)
    except OSError as error:
        raise NNStudioError(f"cannot write to {directory}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        # mkstemp makes the file private (0600): keep the old file's permissions, or the usual 0644
        os.chmod(temporary, path.stat().st_mode & 0o777 if path.is_file() else 0o644)
        if check is not None:
            check(Path(temporary))
        os.replace(temporary, path)
    except BaseException as error:  # even an interrupt leaves no temporary file behind
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise NNStudioError(f"cannot write {path}: {error.strerror or error}") from None
        raise
    _flush_folder(directory)


def _followed(path: Path) -> Path:
    """The file a symbolic link points to (resolved through every link), or `path` itself."""
    if not path.is_symlink():
        return path
    try:
        return path.resolve(strict=False)
    except (OSError, RuntimeError) as error:  # a loop of links
        raise NNStudioError(f"cannot write {path}: {error}") from None


def _flush_folder(directory: Path) -> None:
    """Make the rename itself durable (POSIX: fsync the folder); where that is not possible, skip it."""
    if os.name != "posix":
        return
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:  # some file systems cannot flush a folder; the file itself is already flushed
        pass
    finally:
        os.close(handle)


def remove_stale_temporaries(directory: Path, now: float | None = None) -> list[Path]:
    """Remove our own temporary files in `directory` older than STALE_AFTER_SECONDS; returns them."""
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        if not _OURS.fullmatch(entry.name):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and now - entry.stat().st_mtime > STALE_AFTER_SECONDS:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:  # gone already, or not ours to remove: leave it
            continue
    return removed
