"""The walkthrough's words and numbers for each stop: the formula of the unit in focus with its numbers
substituted, short labels for the diagram's nodes and lines, and the tables of the accumulate and update stops.

Names are the app's: W1[i,j] and b1[j] counted from 1 (`entry_name`), and likewise z1[j] and a1[j] for
unit j of layer 1, x[i] for an input, ŷ for the output. Plain Unicode text: the window decides the markup.
A column is 0 for the inputs, k for layer k's units (the last is the output), as the diagram counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nnstudio.core.engine.model import entry_name
from nnstudio.core.teaching.walkthrough import (
    ACCUMULATE,
    BACKWARD,
    FORWARD,
    LOSS,
    UPDATE,
    LayerWalk,
    PointWalk,
    Stop,
)

MAX_TERMS = 4  # a sum with more terms is written with its first ones, then "… (n terms)"

STAGE_TITLES = {
    FORWARD: "Forward",
    LOSS: "Loss",
    BACKWARD: "Backward",
    ACCUMULATE: "Accumulate",
    UPDATE: "Update",
}

DERIVATIVE_NAMES = {  # g'(z), written with the unit's own numbers where the formula uses them
    "identity": "1",
    "relu": "1 if z > 0 else 0",
    "leaky_relu": "1 if z > 0 else 0.01",
    "tanh": "1 − a²",
    "sigmoid": "a(1 − a)",
    "softplus": "σ(z)",
}


def number(value: float) -> str:
    """Four significant digits, a true minus sign."""
    return f"{float(value):.4g}".replace("-", "−")


def factor(value: float) -> str:
    """A number as a factor of a product: negative ones in brackets."""
    text = number(value)
    return f"({text})" if text.startswith("−") else text


@dataclass(frozen=True)
class StopText:
    """What one stop shows: a title, formula lines, labels on the diagram, and a table (header row first)."""

    title: str
    lines: tuple[str, ...]
    node_labels: dict[tuple[int, int], str] = field(default_factory=dict)  # (column, unit) → label
    edge_labels: dict[tuple[int, int, int], str] = field(default_factory=dict)  # (matrix 0-based, row, column)
    table: tuple[tuple[str, ...], ...] = ()
    lit: frozenset[tuple[int, int]] = frozenset()  # the units this stop lights up


def unit_value_name(walk: PointWalk, column: int, unit: int, kind: str = "a") -> str:
    """x[1] (or x), z1[2], a1[2], ŷ (or ŷ[2]): the value of a unit as the formulas name it."""
    n_layers = len(walk.layers)
    if column == 0:
        return "x" if walk.x.size == 1 else f"x[{unit + 1}]"
    if column == n_layers and kind == "a":
        return "ŷ" if walk.prediction.size == 1 else f"ŷ[{unit + 1}]"
    return f"{kind}{column}[{unit + 1}]"


def focus_units(walk: PointWalk, chosen: dict[int, int] | None = None) -> dict[int, int]:
    """The unit in focus in every column: the one chosen (clicked), else the one with the largest |dL/dz|."""
    focus = {column: walk.focus_unit(column) for column in range(len(walk.layers) + 1)}
    focus.update({c: u for c, u in (chosen or {}).items() if c in focus and 0 <= u < _width(walk, c)})
    return focus


def _width(walk: PointWalk, column: int) -> int:
    return walk.x.size if column == 0 else walk.layers[column - 1].layer.n_out


def _units(walk: PointWalk, column: int, focus: dict[int, int], detail: bool) -> list[int]:
    """Every unit of a column in full detail; else the one in focus."""
    return list(range(_width(walk, column))) if detail else [focus[column]]


def _sum(terms: list[str]) -> str:
    if len(terms) <= MAX_TERMS:
        return " + ".join(terms)
    return " + ".join(terms[: MAX_TERMS - 1]) + f" + … ({len(terms)} terms)"


def describe_stop(walk: PointWalk, stop: Stop, focus: dict[int, int], detail: bool) -> StopText:
    """The words, labels and table of `stop`; `detail`: label every unit (a small network), else the focus."""
    if stop.stage == FORWARD:
        return _forward(walk, stop.layer, focus, detail)
    if stop.stage == LOSS:
        return _loss(walk, focus, detail)
    if stop.stage == BACKWARD:
        return _backward(walk, stop.layer, focus, detail)
    if stop.stage == ACCUMULATE:
        return _accumulate(walk, focus, detail)
    if stop.stage == UPDATE:
        return _update(walk, focus, detail)
    raise ValueError(f"no stage {stop.stage!r}")


def _forward_labels(walk: PointWalk, last_column: int, focus: dict[int, int], detail: bool) -> dict:
    """The numbers of the layer reached and of the one it reads (the earlier ones stay lit, unlabelled)."""
    labels = {}
    if last_column <= 1:
        inputs = _units(walk, 0, focus, detail)
        labels = {(0, i): f"{unit_value_name(walk, 0, i)} = {number(walk.x[i])}" for i in inputs}
    for column in range(max(1, last_column - 1), last_column + 1):
        layer_walk = walk.layers[column - 1]
        for j in _units(walk, column, focus, detail):
            a_name = "ŷ" if column == len(walk.layers) else "a"
            labels[(column, j)] = (
                f"z = {number(layer_walk.pre_activation[j])}\n{a_name} = {number(layer_walk.outputs[j])}"
            )
    return labels


def _forward(walk: PointWalk, k: int, focus: dict[int, int], detail: bool) -> StopText:
    layer_walk = walk.layers[k - 1]
    layer, j = layer_walk.layer, focus[k]
    terms = [f"{factor(layer_walk.inputs[i])}·{factor(layer_walk.weights[i, j])}" for i in range(layer.n_in)]
    names = [f"{unit_value_name(walk, k - 1, i)}·{entry_name(layer.weight_name, (i, j))}" for i in range(layer.n_in)]
    bias_name = entry_name(layer.bias_name, (j,)) if layer.bias else ""
    z = unit_value_name(walk, k, j, "z")
    symbolic = _sum(names) + (f" + {bias_name}" if layer.bias else "")
    numeric = _sum(terms) + (f" + {factor(layer_walk.biases[j])}" if layer.bias else "")
    a = unit_value_name(walk, k, j, "a")
    lines = (
        f"{z} = {symbolic}",
        f"    = {numeric} = {number(layer_walk.pre_activation[j])}",
        _activation_line(a, z, layer.activation, layer_walk.pre_activation[j], layer_walk.outputs[j]),
    )
    edges = {
        (k - 1, i, j): f"{entry_name(layer.weight_name, (i, j))} = {number(layer_walk.weights[i, j])}"
        for i in _units(walk, k - 1, focus, detail)
    }
    lit = frozenset((column, u) for column in range(k + 1) for u in _units(walk, column, focus, detail))
    title = f"Forward, layer {k} of {len(walk.layers)}: z = a_prev·W + b, a = {layer.activation}(z)"
    return StopText(title, lines, _forward_labels(walk, k, focus, detail), edges, lit=lit)


def _activation_line(a: str, z: str, activation: str, z_value: float, a_value: float) -> str:
    if activation == "identity":
        return f"{a} = {z} = {number(a_value)}   (identity: no activation)"
    return f"{a} = {activation}({z}) = {activation}({number(z_value)}) = {number(a_value)}"


def loss_term_lines(walk: PointWalk) -> tuple[str, ...]:
    """This point's term of the loss, written out with its numbers."""
    n, y, p = walk.batch_size, walk.y, walk.prediction
    share = f"(1/{n})" if walk.averaged else ""
    if walk.loss_name in ("mse", "sse"):
        k = p.size
        if k == 1:
            square = f"({number(y[0])} − {factor(p[0])})²"
            general = "(y − ŷ)²"
        else:
            square = _sum([f"({number(yk)} − {factor(pk)})²" for yk, pk in zip(y, p, strict=True)])
            general = "Σₖ (yₖ − ŷₖ)²"
            share = f"(1/({n}·{k}))" if walk.averaged else ""
        return (f"this point's term = {share}{general} = {share}{square} = {number(walk.loss_term)}",)
    if walk.loss_name == "bce":
        general = "−[y ln ŷ + (1 − y) ln(1 − ŷ)]"
        return (
            f"this point's term = {share}{general} with y = {number(y[0])}, ŷ = {number(p[0])}"
            f" = {number(walk.loss_term)}",
        )
    label = int(y[0])
    return (f"this point's term = {share}(−ln softmax(z)[class {label}]) = {number(walk.loss_term)}",)


def _loss(walk: PointWalk, focus: dict[int, int], detail: bool) -> StopText:
    n_layers = len(walk.layers)
    labels = {}
    for j in range(walk.prediction.size):
        target = (
            f"class {int(walk.y[0])}" if walk.loss_name == "cross_entropy" else number(walk.y[min(j, walk.y.size - 1)])
        )
        labels[(n_layers, j)] = f"ŷ = {number(walk.prediction[j])}\ny = {target}"
    where = (
        f"point {walk.position + 1} of the batch's {walk.batch_size}"
        if walk.position is not None
        else f"not in the next mini-batch of {walk.batch_size} points"
    )
    lines = (
        f"ŷ = {', '.join(number(v) for v in walk.prediction)} (the network's output), "
        f"y = {', '.join(number(v) for v in walk.y)} (the point's target)",
        *loss_term_lines(walk),
        f"The batch's loss L = {number(walk.batch_loss)} is the sum of its {walk.batch_size} points' terms;"
        f" this is {where}.",
    )
    lit = frozenset((n_layers, j) for j in range(walk.prediction.size))
    return StopText(f"Loss: ŷ against y ({walk.loss_name})", lines, labels, lit=lit)


def _backward_labels(walk: PointWalk, first_column: int, focus: dict[int, int], detail: bool) -> dict:
    """The chain rule's numbers of the layer reached and of the one after it, which it reads."""
    labels = {}
    n_layers = len(walk.layers)
    for column in range(first_column, min(first_column + 1, n_layers) + 1):
        layer_walk = walk.layers[column - 1]
        a_name = "ŷ" if column == n_layers else "a"
        for j in _units(walk, column, focus, detail):
            labels[(column, j)] = (
                f"dL/d{a_name} = {number(layer_walk.output_gradient[j])}\n"
                f"dL/dz = {number(layer_walk.pre_activation_gradient[j])}"
            )
    return labels


def _output_gradient_line(walk: PointWalk, k: int, j: int) -> str:
    """dL/da of unit j of layer k: from the loss (the output), else the chain rule through the layer after."""
    n_layers = len(walk.layers)
    layer_walk = walk.layers[k - 1]
    value = number(layer_walk.output_gradient[j])
    if k == n_layers:
        if walk.loss_name in ("mse", "sse") and walk.prediction.size == 1:
            share = f"(2/{walk.batch_size})" if walk.averaged else "2"
            return f"dL/dŷ = −{share}(y − ŷ) = −{share}({number(walk.y[0])} − {factor(walk.prediction[0])}) = {value}"
        return f"dL/d{unit_value_name(walk, k, j)} = {value}   (from the loss's formula)"
    after = walk.layers[k]
    names = [
        f"dL/d{unit_value_name(walk, k + 1, m, 'z')}·{entry_name(after.layer.weight_name, (j, m))}"
        for m in range(after.layer.n_out)
    ]
    terms = [
        f"{factor(after.pre_activation_gradient[m])}·{factor(after.weights[j, m])}" for m in range(after.layer.n_out)
    ]
    a = unit_value_name(walk, k, j)
    return f"dL/d{a} = {_sum(names)}\n    = {_sum(terms)} = {value}"


def _backward(walk: PointWalk, k: int, focus: dict[int, int], detail: bool) -> StopText:
    layer_walk = walk.layers[k - 1]
    layer, j = layer_walk.layer, focus[k]
    a, z = unit_value_name(walk, k, j), unit_value_name(walk, k, j, "z")
    slope = layer_walk.activation_derivative[j]
    dz = layer_walk.pre_activation_gradient[j]
    lines = [
        _output_gradient_line(walk, k, j),
        f"dL/d{z} = dL/d{a} · g'({z}),  g'(z) = {_derivative(layer.activation, slope)}",
        f"    = {factor(layer_walk.output_gradient[j])}·{factor(slope)} = {number(dz)}",
    ]
    edges = {}
    for i in _units(walk, k - 1, focus, True if detail else False):
        weight = entry_name(layer.weight_name, (i, j))
        previous = unit_value_name(walk, k - 1, i)
        product = f"{factor(layer_walk.inputs[i])}·{factor(dz)} = {number(layer_walk.weight_gradient[i, j])}"
        if len(lines) < 3 + MAX_TERMS:
            lines.append(f"dL/d{weight} = {previous} · dL/d{z} = {product}")
        edges[(k - 1, i, j)] = f"dL/d{weight} = {product}"
    if layer.bias:
        lines.append(f"dL/d{entry_name(layer.bias_name, (j,))} = dL/d{z} = {number(layer_walk.bias_gradient[j])}")
    lit = frozenset(
        (column, u) for column in range(k, len(walk.layers) + 1) for u in _units(walk, column, focus, detail)
    )
    title = f"Backward, layer {k}: dL/dz = dL/da · g'(z), dL/dW = a_prev · dL/dz"
    return StopText(title, tuple(lines), _backward_labels(walk, k, focus, detail), edges, lit=lit)


def _derivative(activation: str, slope: float) -> str:
    formula = DERIVATIVE_NAMES[activation]
    return formula if formula == number(slope) else f"{formula} = {number(slope)}"


def shown_parameters(walk: PointWalk, focus: dict[int, int], detail: bool) -> list[tuple[LayerWalk, str, tuple]]:
    """(layer, parameter name, index) of the entries a table lists: all of them, or the focus's path."""
    entries = []
    for k, layer_walk in enumerate(walk.layers, start=1):
        layer = layer_walk.layer
        rows = range(layer.n_in) if detail else [focus[k - 1]]
        columns = range(layer.n_out) if detail else [focus[k]]
        entries += [(layer_walk, layer.weight_name, (i, j)) for i in rows for j in columns]
        if layer.bias:
            entries += [(layer_walk, layer.bias_name, (j,)) for j in columns]
    return entries


def _accumulate(walk: PointWalk, focus: dict[int, int], detail: bool) -> StopText:
    mine, so_far, whole = walk.point_gradients(), walk.gradients_so_far(), walk.batch_gradients()
    autograd = walk.autograd_batch
    header = ("entry", "this point", f"sum of {walk.points_so_far} so far", f"batch of {walk.batch_size}")
    header += ("autograd (batch)",) if autograd is not None else ()
    rows = [header]
    for _, name, index in shown_parameters(walk, focus, detail):
        row = (f"dL/d{entry_name(name, index)}", *(number(g[name][index]) for g in (mine, so_far, whole)))
        rows.append(row + ((number(autograd[name][index]),) if autograd is not None else ()))
    if walk.position is None:
        count = (
            f"This point is not in the next mini-batch: the next step sums its {walk.batch_size} points' shares;"
            " this point's joins the batch it falls in later in the epoch."
        )
    else:
        count = (
            f"Point {walk.position + 1} of {walk.batch_size}: its share joins the sum of the points before it"
            f" ({walk.points_so_far} so far); the rest of the batch adds theirs, and the sum is the step's gradient."
        )
    lines = (count, autograd_line(walk))
    return StopText("Accumulate: the batch's gradient is the sum of its points' shares", lines, table=tuple(rows))


def autograd_line(walk: PointWalk) -> str:
    """This point's share by hand against torch autograd's (or why there is none)."""
    if walk.autograd_point is None:
        return f"torch autograd: not available ({walk.autograd_missing})."
    return (
        f"torch autograd gives this point's share too: the largest relative difference from the numpy backward"
        f" is {walk.autograd_difference():.1e}."
    )


def update_lines(walk: PointWalk, name: str, index: tuple) -> tuple[str, ...]:
    """The optimiser's rule for one entry, with its numbers."""
    update = next(u for u in walk.updates() if u.name == name)
    entry = entry_name(name, index)
    before, g, after = update.before[index], update.gradient[index], update.after[index]
    lr = number(walk.learning_rate)
    if walk.optimizer == "momentum":
        mu = number(update.constants["μ"])
        velocity = update.parts["velocity"][index]
        previous = update.parts.get("velocity_before")
        first = (
            f"v ← μ·v + g = {mu}·{factor(previous[index])} + {factor(g)} = {number(velocity)}"
            if previous is not None
            else f"v = g = {number(velocity)} (the first step)"
        )
        return (first, f"{entry} ← {entry} − lr·v = {number(before)} − {lr}·{factor(velocity)} = {number(after)}")
    if walk.optimizer == "adam":
        c, p = update.constants, update.parts
        t = int(c["t"])
        return (
            f"m ← β₁·m + (1 − β₁)·g = {number(p['m'][index])},  v ← β₂·v + (1 − β₂)·g² = {number(p['v'][index])}"
            f"   (g = {number(g)}, β₁ = {number(c['β₁'])}, β₂ = {number(c['β₂'])})",
            f"m̂ = m/(1 − β₁^{t}) = {number(p['m_hat'][index])},  v̂ = v/(1 − β₂^{t}) = {number(p['v_hat'][index])}",
            f"{entry} ← {entry} − lr·m̂/(√v̂ + ε) = {number(before)} − {lr}·{factor(p['m_hat'][index])}"
            f"/(√{number(p['v_hat'][index])} + {number(c['ε'])}) = {number(after)}",
        )
    return (f"{entry} ← {entry} − lr·g = {number(before)} − {lr}·{factor(g)} = {number(after)}",)


def _update(walk: PointWalk, focus: dict[int, int], detail: bool) -> StopText:
    rows = [("entry", "before", "batch gradient g", "change", "after")]
    edges = {}
    shown = shown_parameters(walk, focus, detail)
    updates = {u.name: u for u in walk.updates()}
    for layer_walk, name, index in shown:
        u = updates[name]
        rows.append((entry_name(name, index), *(number(v[index]) for v in (u.before, u.gradient, u.change, u.after))))
        if name == layer_walk.layer.weight_name and index == (
            focus[layer_walk.layer.index - 1],
            focus[layer_walk.layer.index],
        ):
            edges[(layer_walk.layer.index - 1, *index)] = f"{number(u.before[index])} → {number(u.after[index])}"
    last = walk.layers[-1].layer
    k = len(walk.layers)
    example = (last.weight_name, (focus[k - 1], focus[k]))
    lines = (
        walk.update_formula,
        *update_lines(walk, *example),
        "One training step applies it: the fit redraws with the new weights.",
    )
    return StopText(f"Update: each weight moves by the {walk.optimizer} rule", lines, {}, edges, tuple(rows))
