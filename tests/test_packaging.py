"""The packaging configuration ships every package and every shipped file (the wheel itself is checked by
`make test`, which installs it alone into a clean virtual environment: see the Makefile's wheel-check)."""

import fnmatch
import tomllib
from pathlib import Path

from nnstudio.core.storage.examples import EXAMPLES_FOLDER
from nnstudio.core.storage.resources import resource_path
from nnstudio.core.teaching.lessons import LESSONS_FOLDER

ROOT = Path(__file__).resolve().parents[1]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def test_every_package_of_nnstudio_is_listed_for_the_wheel():
    found = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "nnstudio").rglob("__init__.py")}
    assert set(SETUPTOOLS["packages"]) == found | {"nnstudio.resources"}, "update [tool.setuptools] packages"


def test_every_file_in_resources_but_the_readmes_pictures_is_package_data():
    folder = ROOT / SETUPTOOLS["package-dir"]["nnstudio.resources"]
    patterns = SETUPTOOLS["package-data"]["nnstudio.resources"]
    files = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()]
    files = [f for f in files if "__pycache__" not in f]
    unshipped = [f for f in files if not any(fnmatch.fnmatch(f, pattern) for pattern in patterns)]
    assert sorted(unshipped) == ["__init__.py", "film-frames.png", "screenshot.png", "walkthrough.png"]
    assert {"examples/sine.nnstudio", "lessons/01-neural-networks-in-r.toml"} <= set(files)


def test_the_shipped_folders_are_found_through_the_package():
    assert resource_path() == ROOT / "resources"  # this checkout is installed editable: the same files
    assert EXAMPLES_FOLDER == resource_path("examples") and EXAMPLES_FOLDER.is_dir()
    assert LESSONS_FOLDER == resource_path("lessons") and LESSONS_FOLDER.is_dir()
