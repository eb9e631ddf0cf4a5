"""The gradient check in words: the three ways a gradient is computed, and whether they agree.

The names of the three columns (by hand, autograd, finite difference) and their tooltips, the
largest relative differences written for a class, and the verdict of `core.engine.gradcheck`
in green (they agree) or red (they differ). Used by the backpropagation page and by the
inspector panel's check over all layers.
"""

from __future__ import annotations

from nnstudio.core.engine.gradcheck import DIFFER, ParameterCheck, verdict
from nnstudio.gui.style import ERROR_TEXT_COLOUR

GOOD_COLOUR = "#1E7B4F"  # a green that stays dark enough to read on white under a projector
BY_HAND, AUTOGRAD, FINITE_DIFFERENCE = "by hand (numpy)", "autograd (torch)", "finite difference"
GRADIENT_TIPS = {
    BY_HAND: "numpy backend's backward pass: the chain rule written out by hand",
    AUTOGRAD: "PyTorch autograd on the same weights and batch (float64)",
    FINITE_DIFFERENCE: "(L(θ + h) − L(θ − h)) / 2h with h = 1e-6, one entry at a time ('—': not sampled)",
}


def format_relative(value: float | None) -> str:
    if value is None:
        return "n/a (torch is not installed)"
    return f"{value:.1e}".replace("-", "−")


def agreement_html(checks: list[ParameterCheck], finite: bool = True) -> str:
    """'largest relative difference' over some parameters, green when the three ways agree."""
    if not finite:
        return f"<span style='color:{ERROR_TEXT_COLOUR}'>not finite: training has diverged</span>"
    autograds = [check.manual_vs_autograd for check in checks]
    autograd = None if any(value is None for value in autograds) else max(autograds, default=0.0)
    numeric = max((check.manual_vs_finite_difference for check in checks), default=0.0)
    return (
        f"Largest relative difference: by hand vs autograd <b>{format_relative(autograd)}</b>, "
        f"by hand vs finite difference <b>{format_relative(numeric)}</b> {verdict_html(verdict(checks), 'they')}"
    )


def verdict_html(said: str, who: str) -> str:
    """The gradient check's verdict (core.gradcheck.verdict): "✓ {who} agree…" in green, or "✗ they differ" in red."""
    if said == DIFFER:
        return f"<span style='color:{ERROR_TEXT_COLOUR}'><b>✗ they differ</b></span>"
    return f"<span style='color:{GOOD_COLOUR}'><b>✓ {who} {said}</b></span>"
