"""The question a settings change asks while the timeline shows the past: branch from there?"""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget


def branch_question(parent: QWidget, epoch: int, now_epoch: int, what: str) -> tuple[QMessageBox, QAbstractButton]:
    """'Continue from epoch 20 with learning rate 0.1 → 0.01?' — the box, and its Continue button.

    Window-modal and not yet shown: the caller connects `finished` and calls `open()`."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Branch from the past?")
    box.setText(f"Continue from epoch {epoch} with {what}?")
    box.setInformativeText(f"The later epochs ({epoch + 1}–{now_epoch}) are kept as a run in Compare runs (Ctrl+5).")
    go = box.addButton(f"Continue from epoch {epoch}", QMessageBox.ButtonRole.AcceptRole)
    go.setToolTip("Go back to this epoch and train on from it with the new setting: a new branch")
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(go)
    box.setEscapeButton(QMessageBox.StandardButton.Cancel)
    return box, go
