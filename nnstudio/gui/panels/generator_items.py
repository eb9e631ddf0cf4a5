"""The data panel's list of where points come from: the regression generators, the two-input surfaces,
a heading, the class generators, and the imported CSV file; each item's data is its `DataSpec.generator`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QStandardItemModel
from PySide6.QtWidgets import QComboBox

from nnstudio.core.datasets.class_generators import CLASSIFICATION_GENERATORS
from nnstudio.core.datasets.data import GENERATORS
from nnstudio.core.datasets.surface_generators import SURFACE_GENERATORS

CSV = "csv"
CLASSIFICATION_HEADER = "Classes (two inputs x₁, x₂)"
# Short names for the combo (the description is the item's tooltip).
CLASSIFICATION_LABELS = {
    "gaussians": "K round blobs",
    "circle": "a disc in a ring",
    "xor": "XOR of the signs",
    "spiral": "K spiral arms",
}


def list_generators(combo: QComboBox, csv_path: str | None, labelled: bool) -> None:
    """The generators, then the CSV file `csv_path` when there is one (`labelled`: a file of classes)."""
    combo.clear()
    for name, generator in GENERATORS.items():
        combo.addItem(f"{name}:  {generator.formula}", name)
        combo.setItemData(combo.count() - 1, f"{name}: {generator.formula} + noise", Qt.ItemDataRole.ToolTipRole)
    for name, surface in SURFACE_GENERATORS.items():  # two inputs, still numbers to fit
        combo.addItem(f"{name}:  {surface.formula}", name)
        combo.setItemData(
            combo.count() - 1,
            f"{name}: {surface.formula}, two inputs x₁, x₂ in [−6, 6] (TensorFlow Playground's data); "
            "the noise (a fraction, 0 … 0.5) moves where the target is read",
            Qt.ItemDataRole.ToolTipRole,
        )
    _add_classification_generators(combo)
    if csv_path:
        kind = " (classes)" if labelled else ""
        combo.addItem(f"CSV: {Path(csv_path).name}{kind}", CSV)
        combo.setItemData(combo.count() - 1, csv_path, Qt.ItemDataRole.ToolTipRole)


def _add_classification_generators(combo: QComboBox) -> None:
    """After the regression generators (which keep their places): a separator, a header, the classes."""
    combo.insertSeparator(combo.count())
    combo.addItem(CLASSIFICATION_HEADER)
    header = combo.count() - 1
    model = combo.model()
    if isinstance(model, QStandardItemModel):
        model.item(header).setEnabled(False)  # a heading, not a choice
        font = QFont()
        font.setBold(True)
        model.item(header).setFont(font)
    for name, generator in CLASSIFICATION_GENERATORS.items():
        combo.addItem(f"{name}:  {CLASSIFICATION_LABELS.get(name, 'classes')}", name)
        combo.setItemData(
            combo.count() - 1,
            f"{name}: {generator.description}, plus noise on x₁ and x₂",
            Qt.ItemDataRole.ToolTipRole,
        )
