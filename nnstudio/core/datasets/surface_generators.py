"""Two-input numbers to fit, as in TensorFlow Playground's regression data: a plane and six Gaussians.

Both follow the Playground's `regressPlane` and `regressGaussian` (src/dataset.ts): x₁ and x₂ are
uniform in [−6, 6], and the noise moves the place where the target is read, not the target itself:
y = f(x₁ + 6u₁·noise, x₂ + 6u₂·noise) with u₁, u₂ uniform in [−1, 1]. `noise` is the Playground's
noise setting as a fraction (its slider's 0 … 50 % is 0 … 0.5); it is the experiment's `noise_sd`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

SURFACE_RADIUS = 6.0  # x₁, x₂ uniform in [−6, 6]
PLANE_SCALE = 10.0  # the plane maps x₁ + x₂ in [−10, 10] onto [−1, 1]
# (x₁ centre, x₂ centre, sign): a 3 × 2 chequerboard of bumps, +1 and −1 alternating
GAUSSIAN_BUMPS = (
    (-4.0, 2.5, 1.0),
    (0.0, 2.5, -1.0),
    (4.0, 2.5, 1.0),
    (-4.0, -2.5, -1.0),
    (0.0, -2.5, 1.0),
    (4.0, -2.5, -1.0),
)
BUMP_RADIUS = 2.0  # a bump falls linearly from ±1 at its centre to 0 at this distance


def plane(x: np.ndarray) -> np.ndarray:
    """y = (x₁ + x₂) / 10 for each row (x₁, x₂) of x: the Playground's plane (not clipped)."""
    return (x[:, 0] + x[:, 1]) / PLANE_SCALE


def gaussians(x: np.ndarray) -> np.ndarray:
    """Of the six bumps sign·max(0, 1 − d/2) (d: distance to the bump's centre), the largest in size."""
    label = np.zeros(len(x))
    for centre_1, centre_2, sign in GAUSSIAN_BUMPS:
        distance = np.hypot(x[:, 0] - centre_1, x[:, 1] - centre_2)
        bump = sign * np.clip(1.0 - distance / BUMP_RADIUS, 0.0, 1.0)
        label = np.where(np.abs(bump) > np.abs(label), bump, label)  # strictly larger, as the Playground keeps
    return label


@dataclass(frozen=True)
class SurfaceGenerator:
    """y = f(x₁, x₂), read at a noisy place: the `formula` says what f is."""

    formula: str
    true_function: Callable[[np.ndarray], np.ndarray]  # (n, 2) → (n,)


SURFACE_GENERATORS: dict[str, SurfaceGenerator] = {
    "plane": SurfaceGenerator("y = (x₁ + x₂)/10", plane),
    "multi-gaussian": SurfaceGenerator("six ±1 bumps over (x₁, x₂)", gaussians),
}


def generate_surface(generator: str, n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """x (n, 2) uniform in [−6, 6]², and y (n,) = f(x + 6u·noise), u uniform in [−1, 1]², as the Playground draws."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-SURFACE_RADIUS, SURFACE_RADIUS, (n, 2))
    shift = rng.uniform(-SURFACE_RADIUS, SURFACE_RADIUS, (n, 2)) * noise
    return x, SURFACE_GENERATORS[generator].true_function(x + shift)
