"""Where the files that ship with nnstudio are (examples, lessons, the icon).

They live in the top-level resources/ folder of the source tree, which pyproject.toml installs as the
package `nnstudio.resources`; importlib.resources finds that package the same way in an editable install
and in an installed wheel, so nothing here depends on where the code sits on disk.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from nnstudio.core.errors import NNStudioError

RESOURCES_PACKAGE = "nnstudio.resources"


def resource_path(*parts: str) -> Path:
    """The shipped file or folder `parts` (e.g. "lessons"), as a path on disk; it need not exist."""
    try:
        root = files(RESOURCES_PACKAGE)
    except ModuleNotFoundError:
        raise NNStudioError("nnstudio's own files (examples, lessons) are missing: reinstall nnstudio") from None
    if not isinstance(root, Path):  # e.g. run from a zip archive: the folders must be real ones
        raise NNStudioError(f"nnstudio's own files must be on disk, not inside {root}: reinstall nnstudio")
    return root.joinpath(*parts)
