"""The data panel: where the points come from and how they are prepared.

It shows a `DataSpec`, and when the user edits it, emits a new validated one; it never builds
the data itself. The window answers with `set_spec` (what is really in use) and `set_dataset`
(a summary of the points that were made).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.datasets.class_generators import CLASSIFICATION_GENERATORS, MAX_CLASSES
from nnstudio.core.datasets.csv_table import CsvTable, read_csv_file_steps
from nnstudio.core.datasets.data import Dataset, csv_labelled_points
from nnstudio.core.datasets.surface_generators import SURFACE_GENERATORS
from nnstudio.core.engine.experiment import MAX_POINTS, DataSpec
from nnstudio.core.errors import NNStudioError
from nnstudio.gui.background_read import BackgroundRead
from nnstudio.gui.glossary_links import explains
from nnstudio.gui.panels.data_summaries import dataset_summary
from nnstudio.gui.panels.feature_checks import FeatureChecks
from nnstudio.gui.panels.generator_items import CSV, list_generators
from nnstudio.gui.panels.spec_editor import SpecEditor
from nnstudio.gui.panels.widgets import error_label, float_spin_box, int_spin_box, seed_spin_box

COORDINATE_LIMIT = 1e6  # DataSpec accepts x_min and x_max in [−10⁶, 10⁶]


class DataPanel(SpecEditor):
    """Generator and its parameters, subsample, standardise, test split, CSV import, summary."""

    import_requested = Signal()  # Import CSV… was pressed: the window shows the file's preview

    def __init__(self, spec: DataSpec, parent: QWidget | None = None) -> None:
        self._csv_rows: int | None = None  # known after an import; a CSV spec from a file has none
        self._listed_csv_path: str | None = None  # the file behind the combo's "CSV: …" item
        super().__init__(spec, parent)
        self._reading = BackgroundRead(self)  # a labelled CSV being read
        self._reading.progressed.connect(self._on_read_progress)
        self._reading.returned.connect(self._on_labelled_read)
        self._reading.failed.connect(self._on_read_failed)
        self._reading_path = ""
        self._progress: QProgressDialog | None = None

    # --- public -----------------------------------------------------------------------------------

    def set_spec(self, spec: DataSpec) -> None:
        """Show `spec` without emitting anything; clears any error shown."""
        if spec.csv_path != self._spec.csv_path:
            self._csv_rows = None  # another file: its size is not known here
        super().set_spec(spec)

    def _show_spec(self, spec: DataSpec) -> None:
        self._fill_generator_combo(spec)
        self.n_points.setValue(spec.n_points)
        self._exact.show(self.noise_sd, spec.noise_sd)
        self._exact.show(self.x_min, spec.x_min)
        self._exact.show(self.x_max, spec.x_max)
        self.seed.setValue(spec.seed)
        self.subsample_check.setChecked(spec.subsample is not None)
        default_subsample = max(2, (self._csv_rows or spec.n_points) // 2)
        self.subsample.setValue(spec.subsample if spec.subsample is not None else default_subsample)
        self.standardize.setChecked(spec.standardize)
        self._exact.show(self.test_fraction, spec.test_fraction)
        self.features.show_choice(spec.features, spec.n_raw_inputs)

    def set_imported_rows(self, rows: int | None) -> None:
        """How many points were imported (None: none, or not known here), to check the subsample against."""
        self._csv_rows = rows

    def set_dataset(self, dataset: Dataset) -> None:
        """Summarise the points in use: how many, and their ranges in original units."""
        self.summary.setText(dataset_summary(dataset))

    def import_labelled_csv(self) -> None:
        """Ask for a CSV of classes (x₁, x₂, label in its first three columns); train on it if it reads."""
        path = self._ask_csv_path()
        if path:
            self.read_labelled_csv(path)

    @property
    def is_reading(self) -> bool:
        return self._reading.is_running

    def read_labelled_csv(self, path: str) -> None:
        """Read the file in a worker thread (a progress dialog offers Cancel); use it if it reads."""
        self._cancel_reading()
        self._progress = QProgressDialog(f"Reading {Path(path).name}…", "Cancel", 0, 1000, self)
        self._progress.setWindowTitle("Import classes")
        self._progress.setWindowModality(Qt.WindowModality.NonModal)  # a modal one would re-enter the event loop
        self._progress.setMinimumDuration(400)  # shown only for a file that takes a while
        self._progress.canceled.connect(self._cancel_reading)
        self._reading_path = path
        self._reading.start(_labelled_points, path)

    def _cancel_reading(self) -> None:
        self._reading.cancel()  # it stops between two chunks
        if self._progress is not None:
            self._progress.deleteLater()
            self._progress = None

    def _on_read_progress(self, share: float) -> None:
        if self._progress is not None:
            self._progress.setValue(round(1000 * share))

    def _on_read_failed(self, message: str) -> None:
        self._cancel_reading()
        self._warn(message)

    def _on_labelled_read(self, points: tuple[np.ndarray, np.ndarray]) -> None:
        path = self._reading_path
        self._cancel_reading()
        rows = len(points[0])
        subsample = self._spec.subsample if self._spec.subsample and self._spec.subsample <= rows else None
        spec = replace(
            self._spec,
            generator=CSV,
            csv_path=path,
            csv_header=None,
            subsample=subsample,
            classes=None,
            csv_label_column=2,
            csv_input_columns=None,
        )
        try:
            _check_sizes(spec, rows)
        except NNStudioError as error:
            self._warn(str(error))
            return
        self.set_spec(spec)
        self._csv_rows = rows
        self.spec_changed.emit(spec)

    # --- seams for tests: the dialogs -------------------------------------------------------------

    def _ask_csv_path(self) -> str:
        path, _ = QFileDialog.getOpenFileName(self, "Import CSV", "", "CSV files (*.csv *.tsv *.txt);;All files (*)")
        return path

    def _warn(self, message: str) -> None:
        QMessageBox.warning(self, "Cannot import the CSV file", message)

    # --- building ---------------------------------------------------------------------------------

    def _build(self) -> None:
        self.generator = QComboBox()
        # Sized for the names, not the longest formula: the panel must fit a narrow dock.
        self.generator.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.generator.setMinimumContentsLength(14)
        self.generator.setToolTip("Where the points come from: y = f(x) + noise, or an imported CSV file")
        self.import_button = QPushButton("Import CSV…")
        self.import_button.setToolTip(
            "Train on a CSV file: a preview shows its first rows, and you pick the input columns and the\n"
            "target (or the class labels) by name. Commas, semicolons or tabs; a header line is detected.\n"
            "Problems name their line and column."
        )
        self.import_labelled_button = QPushButton("Import classes…")
        self.import_labelled_button.setToolTip(
            "Train a classifier on a CSV file: columns 1 and 2 are the inputs x₁, x₂,\n"
            "column 3 the class label 0, 1, … (K − 1). Problems name their line and column."
        )
        import_row = QHBoxLayout()  # its own row, so the panel fits a narrow dock
        import_row.addWidget(self.import_button)
        import_row.addWidget(self.import_labelled_button)
        import_row.addStretch(1)

        self.n_points = int_spin_box(2, MAX_POINTS, "How many points to draw, evenly spaced in x")
        self.noise_sd = float_spin_box(0.0, 1e6, 3, 0.1, "Noise standard deviation σ:  y = f(x) + ε,  ε ~ N(0, σ²)")
        self.x_min = float_spin_box(-COORDINATE_LIMIT, COORDINATE_LIMIT, 3, 0.5, "Smallest x (must be below x max)")
        self.x_max = float_spin_box(-COORDINATE_LIMIT, COORDINATE_LIMIT, 3, 0.5, "Largest x (must be above x min)")
        self.classes = int_spin_box(
            2, MAX_CLASSES, "How many classes (spiral arms, blobs); the circle and XOR always have 2"
        )
        points = QGroupBox("Points")
        form = QFormLayout(points)
        form.addRow("Function", self.generator)
        form.addRow("", import_row)
        form.addRow("Points (n)", self.n_points)
        form.addRow("Noise σ", self.noise_sd)
        form.addRow("x min", self.x_min)
        form.addRow("x max", self.x_max)
        form.addRow("Classes", self.classes)

        self.seed = seed_spin_box("Random seed for the noise, the subsample and the train/test split")
        self.subsample_check = QCheckBox("Keep only")
        self.subsample_check.setToolTip("Keep a random subsample of the points (like R's sample_n)")
        self.subsample = int_spin_box(2, MAX_POINTS, "How many points the random subsample keeps", " points")
        subsample_row = QHBoxLayout()
        subsample_row.addWidget(self.subsample_check)
        subsample_row.addWidget(self.subsample, 1)
        self.standardize = QCheckBox("Standardise x and y")
        self.standardize.setToolTip(
            "z = (v − mean) / sd for x and y, fitted on the training points (R's scale()).\n"
            "The network learns in these units; plots stay in the original units."
        )
        self.test_fraction = float_spin_box(
            0.0, 0.9, 2, 0.05, "Share of the points held out as a test set: never trained on, only measured"
        )
        self.features = FeatureChecks()
        preparation = QGroupBox("Preparation")
        form = QFormLayout(preparation)
        form.addRow(self.features)  # the whole width: seven toggles need it
        form.addRow("Seed", self.seed)
        form.addRow("Subsample", subsample_row)
        form.addRow("", self.standardize)
        form.addRow("Test fraction", self.test_fraction)
        explains(self.standardize, "standardised units")  # F1 on it: the glossary's entry
        explains(self.test_fraction, "training and test points")

        self.error_label = error_label()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setToolTip("The points in use now (original units)")

        # In a scroll area: the panel shares its dock's height with the others, and a row more (the
        # features) must not make the dock taller than the window gives it.
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(points)
        layout.addWidget(preparation)
        layout.addWidget(self.error_label)
        layout.addWidget(self.summary)
        layout.addStretch(1)
        scroll = _ScrollDown()
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    def _connect(self) -> None:
        self.generator.currentIndexChanged.connect(self._on_edited)
        self.import_button.clicked.connect(self.import_requested)
        self.import_labelled_button.clicked.connect(self.import_labelled_csv)
        self.features.edited.connect(self._on_edited)
        for box in (
            self.n_points,
            self.noise_sd,
            self.x_min,
            self.x_max,
            self.seed,
            self.subsample,
            self.test_fraction,
            self.classes,
        ):
            box.valueChanged.connect(self._on_edited)
        for check in (self.subsample_check, self.standardize):
            check.toggled.connect(self._on_edited)

    def _fill_generator_combo(self, spec: DataSpec) -> None:
        """The generators, then the CSV file when the spec names one."""
        list_generators(self.generator, spec.csv_path, spec.csv_label_column is not None)
        self.generator.setCurrentIndex(self.generator.findData(spec.generator))
        self._listed_csv_path = spec.csv_path
        generator = CLASSIFICATION_GENERATORS.get(spec.generator)
        fixed = generator.fixed_classes if generator is not None else None
        self.classes.setValue(spec.classes or fixed or 2)

    def _update_enabled(self) -> None:
        name = self.generator.currentData()
        generated = name != CSV
        for box in (self.n_points, self.noise_sd, self.x_min, self.x_max):
            box.setEnabled(generated)
        classes = CLASSIFICATION_GENERATORS.get(name)
        if classes is not None or name in SURFACE_GENERATORS:  # the two-input generators span about ±5 or ±6
            self.x_min.setEnabled(False)
            self.x_max.setEnabled(False)
        self.classes.setEnabled(classes is not None and classes.fixed_classes is None)
        labelled = classes is not None or (name == CSV and self._spec.csv_label_column is not None)
        standardised = "x₁, x₂ and y" if name in SURFACE_GENERATORS else "x and y"
        self.standardize.setText("Standardise x₁ and x₂" if labelled else f"Standardise {standardised}")  # not labels
        if classes is not None and classes.fixed_classes is not None:
            self.classes.blockSignals(True)  # showing the fixed count is not an edit
            self.classes.setValue(classes.fixed_classes)
            self.classes.blockSignals(False)
        self.subsample.setEnabled(self.subsample_check.isChecked())

    # --- editing ----------------------------------------------------------------------------------

    def _spec_from_widgets(self) -> DataSpec:
        generator = self.generator.currentData()
        spec = replace(
            self._spec,
            generator=generator,
            csv_path=self._listed_csv_path if generator == CSV else None,
            n_points=self.n_points.value(),
            noise_sd=self._exact.read(self.noise_sd),
            x_min=self._exact.read(self.x_min),
            x_max=self._exact.read(self.x_max),
            seed=int(self.seed.value()),
            subsample=self.subsample.value() if self.subsample_check.isChecked() else None,
            standardize=self.standardize.isChecked(),
            test_fraction=self._exact.read(self.test_fraction),
            classes=self.classes.value() if self.classes.isEnabled() else None,
            features=None,
        )
        if spec.n_raw_inputs == self.features.n_inputs:  # other data (one input ↔ two): its raw inputs
            spec = replace(spec, features=self.features.choice())
        self.features.show_choice(spec.features, spec.n_raw_inputs)
        _check_sizes(spec, self._csv_rows if generator == CSV else spec.n_points)
        return spec


class _ScrollDown(QScrollArea):
    """Scrolls up and down only: as wide as its content needs (as the panel was), as short as the dock."""

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        hint = super().minimumSizeHint()
        inner = self.widget().minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width()
        return QSize(max(hint.width(), inner), hint.height())


def _labelled_points(path: str) -> Generator[float, None, tuple[np.ndarray, np.ndarray]]:
    """In the worker: the file's first two columns as x₁, x₂ and its third as class labels."""
    table: CsvTable = yield from read_csv_file_steps(path)
    return csv_labelled_points(table, (0, 1), 2, None, Path(path).name)


def _check_sizes(spec: DataSpec, rows: int | None) -> None:
    """What DataSpec cannot check alone: the subsample and the split against the number of points."""
    if rows is None:  # a CSV file not read here: `prepare` will check when the data is made
        return
    if spec.subsample is not None and spec.subsample > rows:
        raise NNStudioError(f"cannot keep {spec.subsample} of only {rows} points: lower the subsample")
    kept = spec.subsample or rows
    n_train = kept - int(round(spec.test_fraction * kept))
    if n_train < 2:
        raise NNStudioError(f"only {n_train} training point(s) would be left: use a smaller test fraction")
