"""The model builder: hidden layers (add, remove, reorder, width, activation, bias), output, initial weights.

The input and output widths are fixed by the data, so they are shown, not edited. The panel emits
a new `ModelSpec` on every edit and a preset's name when one is chosen; it never builds a network.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.engine.experiment import MAX_LAYERS, MAX_UNITS, LayerSpec, ModelSpec
from nnstudio.core.engine.model import ACTIVATIONS, INITIALISATIONS, dense_layers, parameter_count
from nnstudio.core.engine.presets import PRESETS
from nnstudio.gui.glossary_links import explains
from nnstudio.gui.panels.spec_editor import SpecEditor
from nnstudio.gui.panels.widgets import choice_combo, error_label, float_spin_box, int_spin_box, select_text

UNITS, ACTIVATION, BIAS = range(3)  # table columns
NEW_LAYER = LayerSpec(units=16, activation="relu")


class ModelPanel(SpecEditor):
    """Hidden layers in a table, output activation, initialisation, parameter count, presets."""

    preset_chosen = Signal(str)  # a key of PRESETS

    def __init__(self, spec: ModelSpec, n_inputs: int = 1, n_outputs: int = 1, parent: QWidget | None = None) -> None:
        self._n_inputs = n_inputs
        self._n_outputs = n_outputs
        super().__init__(spec, parent)

    # --- public -----------------------------------------------------------------------------------

    def set_io(self, n_inputs: int, n_outputs: int) -> None:
        """The widths the data fixes: the network's first and last layer."""
        self._n_inputs, self._n_outputs = n_inputs, n_outputs
        self._spec_shown()

    def hidden_layers(self) -> tuple[LayerSpec, ...]:
        """The layers as the table shows them now."""
        layers = []
        for row in range(self.table.rowCount()):
            units = self.table.cellWidget(row, UNITS).value()
            activation = self.table.cellWidget(row, ACTIVATION).currentText()
            bias = self.table.cellWidget(row, BIAS).findChild(QCheckBox).isChecked()
            layers.append(LayerSpec(units, activation, bias))
        return tuple(layers)

    def parameter_total(self) -> int:
        return parameter_count(dense_layers(self._spec, self._n_inputs, self._n_outputs))

    # --- building ---------------------------------------------------------------------------------

    def _build(self) -> None:
        self.preset = QComboBox()
        self.preset.setToolTip("Load a whole experiment (data, model and training): the lessons' come first")
        self.preset.addItem("Load a preset…")
        for name, experiment in PRESETS.items():
            self.preset.addItem(name)
            self.preset.setItemData(self.preset.count() - 1, experiment.description, Qt.ItemDataRole.ToolTipRole)

        self.input_label = QLabel()
        self.input_label.setToolTip("Input width: one unit per x column, fixed by the data")
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Units", "Activation", "Bias"])
        self.table.horizontalHeaderItem(UNITS).setToolTip(f"Width of the layer: 1 to {MAX_UNITS} units")
        self.table.horizontalHeaderItem(ACTIVATION).setToolTip(
            "a = g(z), applied to each unit's z = x·W + b:\n"
            + "\n".join(f"{name}: {formula}" for name, formula in ACTIVATIONS.items())
        )
        self.table.horizontalHeaderItem(BIAS).setToolTip("Whether the layer adds a bias b to x·W")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(UNITS, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(ACTIVATION, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(BIAS, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setToolTip("The hidden layers, from input (top) to output (bottom)")
        self.table.setMinimumHeight(150)
        self.table.setCornerButtonEnabled(False)  # "select all" means nothing with one layer selected at a time
        self.table.findChild(QAbstractButton).setToolTip("The hidden layers, from input (top) to output (bottom)")

        self.add_button = QPushButton("Add")
        self.add_button.setToolTip(f"Add a hidden layer below the selected one (at most {MAX_LAYERS})")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected hidden layer")
        self.up_button = QPushButton("▲ Up")
        self.up_button.setToolTip("Move the selected layer one place towards the input")
        self.down_button = QPushButton("▼ Down")
        self.down_button.setToolTip("Move the selected layer one place towards the output")
        buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            # The style's 80-pixel minimum per button would make the panel too wide for a dock.
            button.setMinimumWidth(button.fontMetrics().horizontalAdvance(button.text()) + 20)
            buttons.addWidget(button)
        self.output_label = QLabel()
        self.output_label.setToolTip("Output width: one unit per y column, fixed by the data")

        layers = QGroupBox("Layers")
        layers_layout = QVBoxLayout(layers)
        layers_layout.addWidget(self.input_label)
        layers_layout.addWidget(self.table, 1)
        layers_layout.addLayout(buttons)
        layers_layout.addWidget(self.output_label)

        self.output_activation = choice_combo(ACTIVATIONS, "The output layer's activation (identity for regression)")
        explains(self.output_activation, "activation")  # F1 on it: the glossary's entry
        explains(self.table, "activation")
        self.output_bias = QCheckBox("Bias")
        self.output_bias.setToolTip("Whether the output layer adds a bias b")
        output_row = QHBoxLayout()
        output_row.addWidget(self.output_activation, 1)
        output_row.addWidget(self.output_bias)
        self.init = choice_combo(INITIALISATIONS, "How the initial weights are drawn")
        self.init_constant = float_spin_box(
            -1e3, 1e3, 3, 0.1, "The value of every initial weight and bias (constant initialisation only)"
        )
        output = QGroupBox("Output and initial weights")
        form = QFormLayout(output)
        form.addRow("Output activation", output_row)
        form.addRow("Initialisation", self.init)
        form.addRow("Constant", self.init_constant)

        self.parameter_label = QLabel()
        self.error_label = error_label()

        preset_row = QHBoxLayout()
        preset_row.addWidget(QLabel("Preset"))
        preset_row.addWidget(self.preset, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(preset_row)
        layout.addWidget(layers, 1)
        layout.addWidget(output)
        layout.addWidget(self.parameter_label)
        layout.addWidget(self.error_label)

    def _connect(self) -> None:
        self.preset.activated.connect(self._on_preset_activated)
        self.add_button.clicked.connect(self._on_add)
        self.remove_button.clicked.connect(self._on_remove)
        self.up_button.clicked.connect(lambda: self._on_move(-1))
        self.down_button.clicked.connect(lambda: self._on_move(+1))
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.output_activation.currentIndexChanged.connect(self._on_edited)
        self.output_bias.toggled.connect(self._on_edited)
        self.init.currentIndexChanged.connect(self._on_edited)
        self.init_constant.valueChanged.connect(self._on_edited)

    def _fill_table(self, hidden: tuple[LayerSpec, ...], selected: int | None = None) -> None:
        """Rebuild the rows (at most MAX_LAYERS, so rebuilding is cheaper than bookkeeping)."""
        was_updating, self._updating = self._updating, True
        try:
            self.table.setRowCount(0)
            self.table.setRowCount(len(hidden))
            for row, layer in enumerate(hidden):
                self._fill_row(row, layer)
            self.table.setVerticalHeaderLabels([f"Hidden {row + 1}" for row in range(len(hidden))])
            if selected is not None and 0 <= selected < len(hidden):
                self.table.selectRow(selected)
        finally:
            self._updating = was_updating
        self._update_buttons()

    def _fill_row(self, row: int, layer: LayerSpec) -> None:
        units = int_spin_box(1, MAX_UNITS, f"Units in hidden layer {row + 1}")
        units.setValue(layer.units)
        units.valueChanged.connect(self._on_edited)
        activation = choice_combo(ACTIVATIONS, f"Activation of hidden layer {row + 1}")
        select_text(activation, layer.activation)
        activation.currentIndexChanged.connect(self._on_edited)
        bias = QCheckBox()
        bias.setChecked(layer.bias)
        bias.setToolTip(f"Whether hidden layer {row + 1} adds a bias b")
        bias.toggled.connect(self._on_edited)
        holder = QWidget()  # centres the check box in its cell
        holder_layout = QHBoxLayout(holder)
        holder_layout.setContentsMargins(0, 0, 0, 0)
        holder_layout.setAlignment(Qt.AlignmentFlag.AlignCenter)
        holder_layout.addWidget(bias)
        self.table.setCellWidget(row, UNITS, units)
        self.table.setCellWidget(row, ACTIVATION, activation)
        self.table.setCellWidget(row, BIAS, holder)

    # --- editing ----------------------------------------------------------------------------------

    def _selected_row(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    def _update_buttons(self) -> None:
        row, count = self._selected_row(), self.table.rowCount()
        self.add_button.setEnabled(count < MAX_LAYERS)
        self.remove_button.setEnabled(row >= 0)
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < count - 1)

    def _on_add(self) -> None:
        layers = list(self.hidden_layers())
        row = self._selected_row()
        position = row + 1 if row >= 0 else len(layers)
        template = layers[row] if row >= 0 else (layers[-1] if layers else NEW_LAYER)
        layers.insert(position, template)
        self._fill_table(tuple(layers), selected=position)
        self._on_edited()

    def _on_remove(self) -> None:
        row = self._selected_row()
        if row < 0:
            return
        layers = list(self.hidden_layers())
        del layers[row]
        self._fill_table(tuple(layers), selected=min(row, len(layers) - 1))
        self._on_edited()

    def _on_move(self, offset: int) -> None:
        row = self._selected_row()
        target = row + offset
        if row < 0 or not 0 <= target < self.table.rowCount():
            return
        layers = list(self.hidden_layers())
        layers[row], layers[target] = layers[target], layers[row]
        self._fill_table(tuple(layers), selected=target)
        self._on_edited()

    def _on_preset_activated(self, index: int) -> None:
        if index <= 0:
            return
        name = self.preset.itemText(index)
        self.preset.setCurrentIndex(0)  # the combo is a menu: it always offers the list again
        self.preset_chosen.emit(name)

    def _show_spec(self, spec: ModelSpec) -> None:
        self._fill_table(spec.hidden)
        select_text(self.output_activation, spec.output_activation)
        self.output_bias.setChecked(spec.output_bias)
        select_text(self.init, spec.init)
        self._exact.show(self.init_constant, spec.init_constant)

    def _spec_from_widgets(self) -> ModelSpec:
        return replace(
            self._spec,
            hidden=self.hidden_layers(),
            output_activation=self.output_activation.currentText(),
            output_bias=self.output_bias.isChecked(),
            init=self.init.currentText(),
            init_constant=self._exact.read(self.init_constant),
        )

    def _update_enabled(self) -> None:
        self.init_constant.setEnabled(self.init.currentText() == "constant")

    def _spec_shown(self) -> None:
        """The input and output sizes and the parameter count of the spec in use."""
        plural = "s" if self._n_inputs != 1 else ""
        self.input_label.setText(f"Input: <b>{self._n_inputs}</b> unit{plural} (x, fixed by the data)")
        plural = "s" if self._n_outputs != 1 else ""
        self.output_label.setText(f"Output: <b>{self._n_outputs}</b> unit{plural} (ŷ, fixed by the data)")
        layers = dense_layers(self._spec, self._n_inputs, self._n_outputs)
        widths = "-".join([str(self._n_inputs)] + [str(layer.n_out) for layer in layers])
        self.parameter_label.setText(f"Network {widths}: <b>{parameter_count(layers):,}</b> parameters")
        self.parameter_label.setToolTip(
            "Weights and biases, layer by layer (z = x·W + b):\n"
            + "\n".join(
                f"{layer.weight_name}: {layer.n_in}×{layer.n_out}"
                + (f" + {layer.bias_name}: {layer.n_out}" if layer.bias else "")
                + f" = {layer.parameter_count:,}"
                for layer in layers
            )
        )
