"""The step inspector's three pages, one per phase of a step: forward, backpropagation, update.

Each page shows one layer of a `StepInspection`: the phase's formulas, then its tensors in
`TensorTable`s (every digit when small, summaries and heat maps when large); what a page is
built from is in phase_page.py. Backpropagation also lists the layers in the order it visits
them, output layer first, each row saying where its dL/da comes from (the loss, or the layer
after it), and shows each gradient three ways (gradient_check_text.py). The pages only render
what the core computed; they compute nothing themselves.
"""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QWidget

from nnstudio.core.engine.gradcheck import ParameterCheck
from nnstudio.core.teaching.inspector import LayerInspection, StepInspection, UpdateParts
from nnstudio.gui.instruments.gradient_check_text import (
    AUTOGRAD,
    BY_HAND,
    FINITE_DIFFERENCE,
    GRADIENT_TIPS,
    agreement_html,
)
from nnstudio.gui.instruments.phase_page import (
    BATCH_AXES,
    BIAS_AXES,
    WEIGHT_AXES,
    PhasePage,
    combined_labels,
    formula_html,
    joined,
    list_labeller,
)
from nnstudio.gui.instruments.tensor_text import batch_labeller, format_number, index_labeller, math_font

CURRENT_ROW_COLOUR = "#DCEBF7"  # the backpropagation order's row of the layer shown

UPDATE_NOTES = {
    "gd": "The step is the gradient, scaled by the learning rate and reversed: downhill.",
    "momentum": "v remembers the earlier gradients (it is the value after this step): the step follows v.",
    "adam": "m and v are running means of g and g² (after this step); m̂ and v̂ correct their start-up bias.",
}


class ForwardPage(PhasePage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(("parameters.W", "parameters.b", "forward"), parent)

    def show_layer(self, inspection: StepInspection, layer: LayerInspection) -> None:
        self.formulas.setText(formula_html(layer.formulas.forward))
        w, b = layer.layer.weight_name, layer.layer.bias_name
        labels = combined_labels(layer)
        section_w, section_b = self.sections["parameters.W"], self.sections["parameters.b"]
        section_b.setVisible(layer.biases is not None and labels is None)
        if labels is not None:
            section_w.set_text(f"{w} and {b}: the weights before the step")
            section_w.table.set_arrays(
                f"{w}, {b}", {"value": joined(layer.weights, layer.biases)}, list_labeller(labels), digits=10
            )
            return self._show_batch(inspection, layer)
        section_w.set_text(
            f"{w}: the weights before the step",
            f"{layer.layer.n_in} input(s) × {layer.layer.n_out} unit(s): column j holds unit j's weights.",
        )
        section_w.table.set_arrays(
            w, {w: layer.weights}, index_labeller(w), heat=(w,), digits=10, heat_axes=WEIGHT_AXES
        )
        if layer.biases is not None:
            section_b.set_text(f"{b}: the biases before the step")
            section_b.table.set_arrays(
                b, {b: layer.biases}, index_labeller(b), heat=(b,), digits=10, heat_axes=BIAS_AXES
            )
        self._show_batch(inspection, layer)

    def _show_batch(self, inspection: StepInspection, layer: LayerInspection) -> None:
        k, n = layer.layer.index, len(inspection.layers)
        z, a = f"z{k}", f"a{k}"
        arrays = {z: layer.forward.pre_activation, f"{a} = g({z})": layer.forward.outputs}
        tips = {z: "pre-activation: the weighted sum before the activation", f"{a} = g({z})": "the layer's output"}
        heat = (z, f"{a} = g({z})")
        if k == n:  # the output layer: its a is the prediction, and beside it what it should have been
            arrays = {z: layer.forward.pre_activation, f"ŷ = {a}": layer.forward.outputs}
            if inspection.y.shape == layer.forward.outputs.shape:
                arrays["y"] = inspection.y
                arrays["y − ŷ"] = inspection.y - layer.forward.outputs
            tips = {"ŷ = " + a: "the prediction", "y": "the target", "y − ŷ": "the error the loss squares"}
            heat = (f"ŷ = {a}", "y − ŷ")
        points = len(layer.forward.outputs)
        self.sections["forward"].set_text(
            f"Forward on the batch ({points} points): {z} and {a}",
            "One row per data point, one column per unit. Model units (standardised when the data is).",
        )
        self.sections["forward"].table.set_arrays(
            f"layer {k} forward",
            arrays,
            batch_labeller(layer.layer.n_out),
            heat=heat,
            tooltips=tips,
            heat_axes=BATCH_AXES,
        )


def gradient_source(k: int, n: int) -> str:
    """Where layer k's dL/da comes from in backpropagation: the loss (output layer), or the layer after."""
    return "the loss" if k == n else f"layer {k + 1}, the layer after"


def backpropagation_order(inspection: StepInspection) -> list[tuple[int, str]]:
    """(layer index, text) in the order backpropagation visits the layers: output first, input last."""
    n = len(inspection.layers)
    rows = []
    for place, layer in enumerate(reversed(inspection.layers), start=1):
        k = layer.layer.index
        role = " (output)" if k == n else ""
        formula = "dL/dŷ" if k == n else f"dL/dz{k + 1} · W{k + 1}ᵀ"
        size = format_number(float(np.linalg.norm(layer.backward.pre_activation_gradient)), 3)
        source = gradient_source(k, n)
        text = f"{place}. layer {k}{role}: its dL/da{k} comes from {source} (= {formula});  ‖dL/dz{k}‖ = {size}"
        rows.append((k, text))
    return rows


class BackwardPage(PhasePage):
    """Backpropagation: the order of the layers (output first), then the chosen layer's gradients."""

    layer_chosen = Signal(int)  # a row of the order was clicked: show that layer (1-based)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(("backward", "gradient.W", "gradient.b"), parent)
        self._order: list[tuple[int, str]] = []
        self.order = QLabel()
        self.order.setWordWrap(True)
        self.order.setTextFormat(Qt.TextFormat.RichText)
        self.order.setFont(math_font())
        self.order.setToolTip(
            "The layers in the order backpropagation computes them: output first. Each row says where its\n"
            "dL/da comes from, and the size of the dL/dz it passes on to the layer before it. Click one to show it"
        )
        self.order.linkActivated.connect(lambda link: self.layer_chosen.emit(int(link)))
        intro = QLabel(
            "<b>Backpropagation</b> runs from the output layer back to the input: the loss gives dL/dŷ, and each "
            "layer's dL/da comes from the layer after it."
        )
        intro.setWordWrap(True)
        self.content_layout.insertWidget(0, intro)  # above the formulas: the walk as a whole
        self.content_layout.insertWidget(1, self.order)

    def order_texts(self) -> list[str]:
        """The rows of the order as shown, output layer first."""
        return [text for _, text in self._order]

    def _show_order(self, inspection: StepInspection, current: int) -> None:
        self._order = backpropagation_order(inspection)
        rows = []
        for k, text in self._order:
            escaped = html.escape(text)
            # the layer shown below: marked, not bold (bold serif faces lack the superscript ᵀ)
            shown = f"<span style='background-color:{CURRENT_ROW_COLOUR}'>▶ {escaped}</span>"
            rows.append(shown if k == current else f"<a href='{k}'>{escaped}</a>")
        self.order.setText("<br>".join(rows))

    def show_layer(self, inspection: StepInspection, layer: LayerInspection) -> None:
        k, n = layer.layer.index, len(inspection.layers)
        self._show_order(inspection, k)
        lines = [inspection.loss_formula, inspection.loss_gradient_formula, *layer.formulas.backward]
        if layer.penalty_note():  # regularisation: the weights' penalty adds its own part to dL/dW
            lines.append(layer.penalty_note())
        self.formulas.setText(formula_html(lines))
        a, z = f"dL/da{k}", f"dL/dz{k}"
        self.sections["backward"].set_text(
            f"Layer {k}, backpropagated on the batch: {a} (from {gradient_source(k, n)}) and {z}",
            "How much the loss changes with each unit's output (dL/da) and its weighted sum (dL/dz).",
        )
        self.sections["backward"].table.set_arrays(
            f"layer {k} backward",
            {a: layer.backward.output_gradient, z: layer.backward.pre_activation_gradient},
            batch_labeller(layer.layer.n_out),
            heat=(z,),
            heat_axes=BATCH_AXES,
        )
        checks = [c for c in (layer.weight_gradients, layer.bias_gradients) if c is not None]
        finite = all(bool(np.all(np.isfinite(check.manual))) for check in checks)
        labels = combined_labels(layer)
        section_b = self.sections["gradient.b"]
        section_b.setVisible(layer.bias_gradients is not None and labels is None)
        if labels is not None:
            w, b = layer.layer.weight_name, layer.layer.bias_name
            self._show_gradient("gradient.W", f"dL/d{w} and dL/d{b} three ways", checks, list_labeller(labels), finite)
            return
        self._show_gradient(
            "gradient.W",
            f"dL/d{layer.layer.weight_name} three ways",
            [layer.weight_gradients],
            index_labeller(layer.layer.weight_name),
            finite,
            WEIGHT_AXES,
        )
        if layer.bias_gradients is not None:
            self._show_gradient(
                "gradient.b",
                f"dL/d{layer.layer.bias_name} three ways",
                [layer.bias_gradients],
                index_labeller(layer.layer.bias_name),
                finite,
                BIAS_AXES,
            )

    def _show_gradient(
        self, key: str, heading: str, checks: list[ParameterCheck], labeller, finite: bool, axes=WEIGHT_AXES
    ) -> None:
        arrays = {BY_HAND: joined(*(c.manual for c in checks)).reshape(-1) if len(checks) > 1 else checks[0].manual}
        if all(c.autograd is not None for c in checks):
            arrays[AUTOGRAD] = joined(*(c.autograd for c in checks)) if len(checks) > 1 else checks[0].autograd
        arrays[FINITE_DIFFERENCE] = (
            joined(*(c.finite_difference for c in checks)) if len(checks) > 1 else checks[0].finite_difference
        )
        section = self.sections[key]
        section.set_text(
            heading,
            "The same gradient computed by the hand-written backward pass, by PyTorch's autograd, "
            "and by nudging each weight a little and watching the loss.",
            agreement_html(checks, finite),
        )
        section.table.set_arrays(
            heading, arrays, labeller, heat=tuple(arrays), digits=12, tooltips=GRADIENT_TIPS, heat_axes=axes
        )


def update_arrays(parts: UpdateParts, before: np.ndarray, after: np.ndarray) -> tuple[dict, dict, tuple]:
    """The columns of an update table: before, the optimiser's parts, the rule's Δ, Δ applied, after."""
    name = parts.name
    arrays = {f"{name} before": before, f"g = dL/d{name}": parts.parts["gradient"]}
    tips = {f"g = dL/d{name}": "the gradient the optimiser used"}
    if parts.optimizer == "momentum":
        if "velocity_before" in parts.parts:
            arrays["v before"] = parts.parts["velocity_before"]
        arrays["v = μ·v + g"] = parts.parts["velocity"]
        rule = "−lr·v"
        tips["v = μ·v + g"] = "the velocity: a running sum of gradients (v = g at the first step)"
    elif parts.optimizer == "adam":
        for key, label, tip in (
            ("m", "m", "first moment: running mean of g (β₁)"),
            ("v", "v", "second moment: running mean of g² (β₂)"),
            ("m_hat", "m̂", "m / (1 − β₁ᵗ): bias-corrected"),
            ("v_hat", "v̂", "v / (1 − β₂ᵗ): bias-corrected"),
        ):
            arrays[label] = parts.parts[key]
            tips[label] = tip
        rule = "−lr·m̂/(√v̂+ε)"
    else:
        rule = "−lr·g"
    arrays[f"Δ = {rule}"] = parts.predicted
    arrays["Δ applied"] = parts.applied
    arrays[f"{name} after"] = after
    tips[f"Δ = {rule}"] = "the step the optimiser's rule gives from the parts on the left"
    tips["Δ applied"] = f"what really changed: {name} after − {name} before"
    return arrays, tips, (f"g = dL/d{name}", "Δ applied")


class UpdatePage(PhasePage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(("update.W", "update.b"), parent)

    def show_layer(self, inspection: StepInspection, layer: LayerInspection) -> None:
        update = layer.weight_update
        constants = "" if update is None else ",  ".join(f"{k} = {_constant(v)}" for k, v in update.constants.items())
        self.formulas.setText(formula_html([layer.formulas.update] + ([constants] if constants else [])))
        if update is None:
            self.show_message(
                "No step was made here: this is the moment before the next step. "
                "<b>Inspect step</b> (I) makes one step and shows the update it applies."
            )
            for section in self.sections.values():
                section.hide()
            return
        self.show_message("")
        labels = combined_labels(layer)
        if labels is not None and layer.bias_update is not None:
            self.sections["update.b"].hide()
            w, b = layer.layer.weight_name, layer.layer.bias_name
            parts = join_updates(layer.weight_update, layer.bias_update)
            self._show_update(
                "update.W",
                f"{w} and {b} (together w): the update",
                parts,
                joined(layer.weights, layer.biases),
                joined(layer.weights_after, layer.biases_after),
                list_labeller(labels),
                layer.diagnostics.update_ratio,
            )
            return
        pairs = (
            ("update.W", layer.weight_update, layer.weights, layer.weights_after, layer.diagnostics.update_ratio),
            ("update.b", layer.bias_update, layer.biases, layer.biases_after, None),
        )
        for key, parts, before, after, ratio in pairs:
            self.sections[key].setVisible(parts is not None)
            if parts is not None:
                heading = f"{parts.name}: the update"
                self._show_update(key, heading, parts, before, after, index_labeller(parts.name), ratio)

    def _show_update(self, key, heading, parts: UpdateParts, before, after, labeller, ratio: float | None) -> None:
        section = self.sections[key]
        section.show()
        arrays, tips, heat = update_arrays(parts, before, after)
        with np.errstate(all="ignore"):
            agreement = float(np.max(np.abs(parts.applied - parts.predicted))) if parts.applied.size else 0.0
        footer = f"The rule's Δ and the applied Δ differ by at most {format_number(agreement, 2)}"
        if ratio is not None:
            w = key == "update.W" and parts.name
            footer += f";  ‖Δ{w}‖ / ‖{w}‖ = {format_number(ratio, 3)}" if w != "w" else ""
        section.set_text(heading, UPDATE_NOTES.get(parts.optimizer, ""), footer)
        axes = WEIGHT_AXES if np.ndim(parts.applied) == 2 else BIAS_AXES
        section.table.set_arrays(heading, arrays, labeller, heat=heat, digits=10, tooltips=tips, heat_axes=axes)


def join_updates(weights: UpdateParts, biases: UpdateParts) -> UpdateParts:
    """W's and b's update as one vector w = (W…, b…), as the tutorial writes it."""
    return UpdateParts(
        name="w",
        optimizer=weights.optimizer,
        applied=joined(weights.applied, biases.applied),
        predicted=joined(weights.predicted, biases.predicted),
        parts={key: joined(value, biases.parts[key]) for key, value in weights.parts.items() if key in biases.parts},
        constants=weights.constants,
        formula=weights.formula,
    )


def _constant(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) >= 1 else f"{value:g}"
