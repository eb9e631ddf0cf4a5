"""Check an installed (non-editable) nnstudio: run from an empty folder with the clean venv's python.

    python .ci/check_installed.py SOURCE_RESOURCES_FOLDER

Every file of the source tree's resources/ that the wheel ships must be found through the installed
package, byte for byte, and every example and lesson must load with the installed code.
"""

import sys
from pathlib import Path

import nnstudio
from nnstudio.core.storage.archive import read_experiment_file
from nnstudio.core.storage.examples import EXAMPLES, shipped_examples
from nnstudio.core.storage.resources import resource_path
from nnstudio.core.teaching.lessons import load_lesson, shipped_lessons


def main(source: Path) -> int:
    installed = Path(nnstudio.__file__).resolve().parent
    assert "site-packages" in installed.parts, f"nnstudio was imported from {installed}, not from the install"
    assert resource_path() == installed / "resources", resource_path()
    shipped = [*source.glob("examples/*"), *source.glob("lessons/*.toml"), *source.glob("icons/*")]
    shipped += [source / "nnstudio.desktop"]
    for path in shipped:
        copy = resource_path(*path.relative_to(source).parts)
        assert copy.is_file() and copy.read_bytes() == path.read_bytes(), f"{copy} differs from {path}"
    examples = shipped_examples()
    assert [p.stem for p in examples] == list(EXAMPLES), examples
    for path in examples:
        read_experiment_file(path).make_trainer()
    lessons = shipped_lessons()
    assert [p.name for p in lessons] == sorted(p.name for p in source.glob("lessons/*.toml")), lessons
    for path in lessons:
        for page in load_lesson(path).pages:
            if page.setup is not None:
                page.setup.experiment()
    print(
        f"installed nnstudio in {installed}: {len(shipped)} shipped files, {len(examples)} examples and "
        f"{len(lessons)} lessons found and loaded"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
