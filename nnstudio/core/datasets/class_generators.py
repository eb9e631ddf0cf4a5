"""Two-dimensional toy data with classes, as in TensorFlow Playground: blobs, a circle, XOR, a spiral.

Each generator draws clean points of each class, then Gaussian noise of sd `noise_sd` is added
to both coordinates, so a larger noise blurs the border between the classes. A point's class
is the one it was drawn for (noise can carry it across the border). Labels are class numbers
0, 1, ..., K−1. The points span about −5 … 5 in both inputs x₁ and x₂.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

MAX_CLASSES = 8  # one colour each in the plots' palette
CIRCLE_INSIDE = 2.5  # class 0 fills the disc r ≤ 2.5...
CIRCLE_RING = (3.5, 5.0)  # ...class 1 the ring 3.5 ≤ r ≤ 5
XOR_PADDING = 0.3  # XOR points keep this far from the axes, where the class flips (as the Playground does)
GAUSSIAN_CENTRE_RADIUS = 3.0  # blob centres sit evenly on a circle of this radius
SPIRAL_RADIUS = 5.0
SPIRAL_TURNS = 0.875  # each arm winds 0.875 of a turn (the Playground's 1.75π)


@dataclass(frozen=True)
class ClassGenerator:
    """Clean points of each class; `fixed_classes` is set when the shape has a set number of classes."""

    description: str
    draw: Callable[[np.random.Generator, int, int], tuple[np.ndarray, np.ndarray]]  # (rng, n, K) → x, labels
    fixed_classes: int | None = None


def class_sizes(n: int, classes: int) -> list[int]:
    """n points shared out as evenly as possible: 10 among 3 classes → [4, 3, 3]."""
    return [n // classes + (1 if k < n % classes else 0) for k in range(classes)]


def _labels(sizes: list[int]) -> np.ndarray:
    return np.repeat(np.arange(len(sizes)), sizes)


def _gaussians(rng: np.random.Generator, n: int, classes: int) -> tuple[np.ndarray, np.ndarray]:
    # class k: a round blob of sd 1 around a centre at angle π/4 + 2πk/K on a circle of radius 3
    sizes = class_sizes(n, classes)
    angles = np.pi / 4 + 2 * np.pi * np.arange(classes) / classes
    centres = GAUSSIAN_CENTRE_RADIUS * np.column_stack([np.cos(angles), np.sin(angles)])
    labels = _labels(sizes)
    return centres[labels] + rng.normal(0.0, 1.0, (n, 2)), labels


def _circle(rng: np.random.Generator, n: int, classes: int) -> tuple[np.ndarray, np.ndarray]:
    # class 0 inside the disc r ≤ 2.5, class 1 in the ring 3.5 ≤ r ≤ 5, spread evenly over their areas
    inside, ring = class_sizes(n, 2)
    low, high = CIRCLE_RING
    radius = np.concatenate(
        [CIRCLE_INSIDE * np.sqrt(rng.uniform(0, 1, inside)), np.sqrt(rng.uniform(low**2, high**2, ring))]
    )
    angle = rng.uniform(0, 2 * np.pi, n)
    return np.column_stack([radius * np.cos(angle), radius * np.sin(angle)]), _labels([inside, ring])


def _xor(rng: np.random.Generator, n: int, classes: int) -> tuple[np.ndarray, np.ndarray]:
    # x₁, x₂ uniform in ±[0.3, 5.3]; class 1 where x₁·x₂ > 0 (same signs), class 0 where the signs differ
    x = rng.uniform(-5.0, 5.0, (n, 2))
    x += np.where(x >= 0, XOR_PADDING, -XOR_PADDING)
    return x, (x[:, 0] * x[:, 1] > 0).astype(np.intp)


def _spiral(rng: np.random.Generator, n: int, classes: int) -> tuple[np.ndarray, np.ndarray]:
    # arm k: r = 5s, angle = 2π·0.875·s + 2πk/K for s evenly spaced in [0, 1): K arms winding out from 0
    parts = []
    for k, size in enumerate(class_sizes(n, classes)):
        s = np.arange(size) / max(size, 1)
        angle = 2 * np.pi * SPIRAL_TURNS * s + 2 * np.pi * k / classes
        parts.append(SPIRAL_RADIUS * s[:, None] * np.column_stack([np.sin(angle), np.cos(angle)]))
    return np.concatenate(parts), _labels(class_sizes(n, classes))


CLASSIFICATION_GENERATORS: dict[str, ClassGenerator] = {
    "gaussians": ClassGenerator("K round blobs, one per class (two Gaussians by default)", _gaussians),
    "circle": ClassGenerator("a disc (class 0) inside a ring (class 1)", _circle, fixed_classes=2),
    "xor": ClassGenerator("class 1 where x₁ and x₂ have the same sign (XOR of the signs)", _xor, fixed_classes=2),
    "spiral": ClassGenerator("K spiral arms winding out from the centre, one per class", _spiral),
}


def generate_classes(generator: str, n: int, classes: int, noise_sd: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """x (n, 2) and labels (n,) of `generator`, with N(0, noise_sd²) noise on both coordinates."""
    rng = np.random.default_rng(seed)
    x, labels = CLASSIFICATION_GENERATORS[generator].draw(rng, n, classes)
    x = x + rng.normal(0.0, noise_sd, x.shape)
    return x, labels.astype(np.float64)
