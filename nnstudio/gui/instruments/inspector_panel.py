"""The step inspector's panel: one optimiser step taken apart, layer by layer, in its three phases.

It shows a `StepInspection` from the core: a headline (which step, which optimiser, which
batch, the loss before and after the step), the gradient check over all layers, flags, and for
the layer chosen its diagnostics and the three phase pages (forward, backpropagation, update;
backpropagation walks the layers from the output back to the input). Its buttons are wired by
the `step_inspector` instrument; the panel itself never touches the trainer.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.teaching.inspector import LayerInspection, StepInspection
from nnstudio.gui.glossary_links import explains
from nnstudio.gui.instruments.gradient_check_text import format_relative, verdict_html
from nnstudio.gui.instruments.inspector_pages import BackwardPage, ForwardPage, UpdatePage
from nnstudio.gui.instruments.tensor_text import format_number
from nnstudio.gui.instruments.tensor_views import TensorTable
from nnstudio.gui.style import ERROR_TEXT_COLOUR

PHASES = ("forward", "backward", "update")
PHASE_TITLES = ("① Forward", "② Backpropagation", "③ Update")
FLAG_STYLE = "background: #FBE3D6; border: 1px solid #D55E00; border-radius: 3px; padding: 2px 6px; font-weight: bold;"


class StepInspectorPanel(QWidget):
    """Shows a `StepInspection`; its buttons only ask (the controller talks to the session)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.inspection: StepInspection | None = None
        self.inspect_step_button = QToolButton()
        self.inspect_now_button = QToolButton()
        for button in (self.inspect_step_button, self.inspect_now_button):
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.follow_check = QCheckBox("Follow")
        self.follow_check.setChecked(True)
        self.follow_check.setToolTip(
            "While this panel is open, show the current moment whenever training stops,\n"
            "and the moment picked on the timeline"
        )
        self.layer_combo = QComboBox()
        self.layer_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.layer_combo.setToolTip("Which layer to show: W1, b1 belong to layer 1, and so on")
        self.layer_combo.currentIndexChanged.connect(self._show_current_layer)

        self.headline = _label("The step inspector shows one optimiser step, layer by layer.")
        self.headline.setToolTip("What is shown: the step just made, or the moment before the next one")
        self.check_label = _label("")
        self.check_label.setToolTip(
            "The gradient three ways: by the hand-written backward pass, by PyTorch autograd, by finite differences"
        )
        self.flags_label = _label("")
        self.flags_label.setStyleSheet(f"QLabel {{ {FLAG_STYLE} }}")
        self.flags_label.setToolTip("Warnings about this step, for every layer")
        self.flags_label.hide()
        self.diagnostics_label = _label("")
        self.diagnostics_label.setToolTip(
            "This layer's health on the batch: gradient sizes, ‖Δ‖/‖W‖ (how far the step moved the weights,\n"
            "about 1e-3 is typical), dead ReLU units (never active: they never learn) and saturated\n"
            "sigmoid/tanh units (flat on ≥ 95 % of the batch: they pass almost no gradient back)"
        )
        self._chips: dict[str, tuple[str, bool]] = {}  # key → (text, flagged), in the order shown

        self.pages = {"forward": ForwardPage(), "backward": BackwardPage(), "update": UpdatePage()}
        self.pages["backward"].layer_chosen.connect(self.set_layer)  # a row of the backpropagation order
        for widget, term in (
            (self.check_label, "gradient"),
            (self.pages["forward"], "activation"),
            (self.pages["backward"], "backpropagation"),
            (self.pages["update"], "optimiser"),
        ):
            explains(widget, term)  # F1 on it: the glossary's entry
        self.phase_tabs = QTabWidget()
        self.phase_tabs.setDocumentMode(True)
        for phase, title in zip(PHASES, PHASE_TITLES, strict=True):
            self.phase_tabs.addTab(self.pages[phase], title)
        tips = (
            "Forward: each layer's weighted sum z and output a on the batch",
            "Backpropagation: the chain rule from the loss back through the layers, output layer first;\n"
            "each layer's dL/da comes from the layer after it, and gives its dL/dz, dL/dW and dL/db",
            "Update: how the optimiser turned the gradient into the change of the weights",
        )
        for index, tip in enumerate(tips):
            self.phase_tabs.setTabToolTip(index, tip)
        self.previous_button = _arrow_button("◀", "The previous phase of the step", lambda: self._move_phase(-1))
        self.next_button = _arrow_button("▶", "The next phase of the step", lambda: self._move_phase(1))
        corner = QWidget()
        corner_layout = QHBoxLayout(corner)
        corner_layout.setContentsMargins(0, 0, 4, 0)
        corner_layout.addWidget(self.previous_button)
        corner_layout.addWidget(self.next_button)
        self.phase_tabs.setCornerWidget(corner)
        self.phase_tabs.currentChanged.connect(self._update_arrows)

        self.placeholder = _label(
            "<p style='font-size:large'>Press <b>Inspect step</b> (I) to make one optimiser step and see it "
            "taken apart: the forward pass, the gradient three ways, and the update.</p>"
            "<p>Or <b>Inspect now</b> (Shift+I) to see the gradients at the current weights without stepping.</p>"
        )
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.placeholder.setContentsMargins(12, 12, 12, 12)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.phase_tabs)
        self._build_layout()
        self._update_arrows()

    def _build_layout(self) -> None:
        buttons = QHBoxLayout()
        buttons.addWidget(self.inspect_step_button)
        buttons.addWidget(self.inspect_now_button)
        buttons.addWidget(self.follow_check)
        buttons.addStretch(1)
        layer_row = QHBoxLayout()
        layer_label = QLabel("<b>Layer</b>")
        layer_label.setToolTip(self.layer_combo.toolTip())
        layer_row.addWidget(layer_label)
        layer_row.addWidget(self.layer_combo)
        layer_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(5)
        layout.addLayout(buttons)
        layout.addWidget(self.headline)
        layout.addWidget(self.check_label)
        layout.addWidget(self.flags_label)
        layout.addLayout(layer_row)
        layout.addWidget(self.diagnostics_label)
        layout.addWidget(self.stack, 1)

    # --- public -----------------------------------------------------------------------------------

    def show_inspection(self, inspection: StepInspection, headline: str = "") -> None:
        """Show `inspection` (keeping the chosen layer and phase when the network is the same)."""
        self.inspection = inspection
        keep = self.layer_combo.currentIndex() if self.layer_combo.count() == len(inspection.layers) else -1
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        n = len(inspection.layers)
        for layer in inspection.layers:
            spec = layer.layer
            role = "output" if spec.index == n else "hidden"
            self.layer_combo.addItem(f"{spec.index} of {n}: {spec.n_in} → {spec.n_out}, {spec.activation} ({role})")
        self.layer_combo.setCurrentIndex(keep if keep >= 0 else 0)
        self.layer_combo.blockSignals(False)
        self.headline.setText(headline or describe(inspection))
        self.check_label.setText(_check_html(inspection))
        flags = inspection.flags
        self.flags_label.setText("<br>".join(f"⚠ {flag.message}" for flag in flags))
        self.flags_label.setVisible(bool(flags))
        self.stack.setCurrentWidget(self.phase_tabs)
        self._show_current_layer()

    def set_layer(self, index: int) -> None:
        """Show layer `index` (1-based, as in W1, b1)."""
        self.layer_combo.setCurrentIndex(index - 1)

    def set_phase(self, phase: str) -> None:
        self.phase_tabs.setCurrentIndex(PHASES.index(phase))

    @property
    def phase(self) -> str:
        return PHASES[self.phase_tabs.currentIndex()]

    def scroll_to(self, key: str) -> None:
        """Show the phase holding section `key` (e.g. "gradient.W": the three gradients), scrolled to its top."""
        phase = next(phase for phase, page in self.pages.items() if key in page.sections)
        page, section = self.pages[phase], self.pages[phase].sections[key]
        self.set_phase(phase)
        page.widget().layout().activate()  # the sections' places, before the first paint
        page.verticalScrollBar().setValue(section.y())
        # once the tables have their sizes (they settle as they are first laid out), again
        QTimer.singleShot(0, page, lambda: page.verticalScrollBar().setValue(section.y()))

    @property
    def current_layer(self) -> LayerInspection | None:
        if self.inspection is None or self.layer_combo.currentIndex() < 0:
            return None
        return self.inspection.layers[self.layer_combo.currentIndex()]

    def tensor_table(self, key: str) -> TensorTable:
        """The table of the current layer for `key`: parameters.W/b, forward, backward, gradient.W/b, update.W/b."""
        for page in self.pages.values():
            if key in page.sections:
                return page.sections[key].table
        raise KeyError(key)

    def chip_text(self, key: str) -> str:
        """One diagnostic as shown: "gradient", "bias_gradient", "ratio", "dead" or "saturated"."""
        return self._chips[key][0]

    def is_chip_flagged(self, key: str) -> bool:
        return self._chips[key][1]

    # --- drawing ----------------------------------------------------------------------------------

    def _show_current_layer(self, *_) -> None:
        layer = self.current_layer
        if layer is None:
            return
        for page in self.pages.values():
            page.show_layer(self.inspection, layer)
        self._show_diagnostics(layer)

    def _show_diagnostics(self, layer: LayerInspection) -> None:
        spec, diagnostics = layer.layer, layer.diagnostics
        kinds = {flag.kind for flag in diagnostics.flags}
        broken = "not_finite" in kinds
        w, b = spec.weight_name, spec.bias_name
        chips = {"gradient": (f"‖dL/d{w}‖ = {format_number(diagnostics.weight_gradient_norm, 4)}", broken)}
        if diagnostics.bias_gradient_norm is not None:
            chips["bias_gradient"] = (f"‖dL/d{b}‖ = {format_number(diagnostics.bias_gradient_norm, 4)}", broken)
        ratio = diagnostics.update_ratio
        chips["ratio"] = (
            f"‖Δ{w}‖/‖{w}‖ = {'–' if ratio is None else format_number(ratio, 3)}",
            broken or "tiny_update" in kinds,
        )
        if spec.activation == "relu":
            chips["dead"] = (f"dead units: {len(diagnostics.dead_units)} of {spec.n_out}", "dead_units" in kinds)
        if spec.activation in ("sigmoid", "tanh"):
            chips["saturated"] = (
                f"saturated units: {len(diagnostics.saturated_units)} of {spec.n_out}",
                "saturated_units" in kinds,
            )
        self._chips = chips
        self.diagnostics_label.setText(
            "&nbsp;&nbsp;·  ".join(_chip_html(text, flagged) for text, flagged in chips.values())
        )

    def _move_phase(self, delta: int) -> None:
        self.phase_tabs.setCurrentIndex(max(0, min(len(PHASES) - 1, self.phase_tabs.currentIndex() + delta)))

    def _update_arrows(self, *_) -> None:
        self.previous_button.setEnabled(self.phase_tabs.currentIndex() > 0)
        self.next_button.setEnabled(self.phase_tabs.currentIndex() < len(PHASES) - 1)


def describe(inspection: StepInspection) -> str:
    """The headline: which step this is, with what optimiser, on what batch, and its loss before and after.

    The loss is the batch's: with full batches, the number the status bar and the loss plot show for
    the epoch of this step, measured (like theirs) before the update.
    """
    points = len(inspection.x)
    full = inspection.batch_rows is None
    batch = f"all {points} training points" if full else f"a mini-batch of {points} points"
    settings = f"{inspection.optimizer}, lr {inspection.learning_rate:g}, {inspection.backend} backend, {batch}"
    loss = format_number(inspection.loss, 6)
    which = inspection.loss_name + (f", {inspection.loss_units}" if inspection.loss_units else "")
    on = "all the training points" if full else "this mini-batch"
    if inspection.diverged_message:  # stopped by the divergence rule: the values may be huge but finite
        return (
            f"<span style='color:{ERROR_TEXT_COLOUR}'><b>Training has diverged</b>. {inspection.diverged_message} "
            f"Reset (R) or go Back (B).</span><br>{settings}"
        )
    if inspection.flags and any(flag.kind == "not_finite" for flag in inspection.flags):
        return (
            f"<span style='color:{ERROR_TEXT_COLOUR}'><b>Training has diverged</b>: the values below are not finite. "
            f"Reset (R) or go Back (B), then choose a smaller learning rate.</span><br>{settings}"
        )
    if inspection.stepped:
        after = "" if inspection.loss_after is None else f" → after it <b>{format_number(inspection.loss_after, 6)}</b>"
        return (
            f"<b>Step {inspection.step + 1} made</b> (epoch {inspection.epoch}): {settings}.<br>"
            f"Loss on {on} ({which}): before the step <b>{loss}</b>{after}"
        )
    previous = inspection.previous_step_loss
    last = (
        ""
        if np.isnan(previous)
        else f" (step {inspection.step} measured {format_number(previous, 6)}, before its update)"
    )
    return (
        f"<b>Now, before step {inspection.step + 1}</b> (epoch {inspection.epoch}): the gradients at the current "
        f"weights; no step made. {settings}.<br>"
        f"Loss on {on} at these weights ({which}): <b>{loss}</b>{last}"
    )


def _check_html(inspection: StepInspection) -> str:
    autograd = inspection.max_rel_diff_manual_vs_autograd
    numeric = inspection.max_rel_diff_manual_vs_finite_diff
    finite = all(np.all(np.isfinite(layer.weight_gradients.manual)) for layer in inspection.layers)
    if not finite:
        return f"<span style='color:{ERROR_TEXT_COLOUR}'>Gradient check: the gradients are not finite.</span>"
    verdict = verdict_html(inspection.gradient_check.verdict, "all three")
    return (
        f"Gradient check, all layers: by hand vs autograd <b>{format_relative(autograd)}</b> · "
        f"by hand vs finite difference <b>{format_relative(numeric)}</b> {verdict}"
    )


def _label(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


def _chip_html(text: str, flagged: bool) -> str:
    """One diagnostic; lines break between diagnostics, never inside one (Qt breaks after '/')."""
    text = text.replace(" ", "&nbsp;").replace("/", "/&#8288;")  # U+2060 word joiner: no break here
    if flagged:
        colours = f"background-color:#FBE3D6; color:{ERROR_TEXT_COLOUR}"
        return f"<span style='{colours}'><b>&nbsp;⚠&nbsp;{text}&nbsp;</b></span>"
    return text


def _arrow_button(text: str, tooltip: str, slot) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tooltip)
    button.setAutoRaise(True)
    button.clicked.connect(slot)
    return button
