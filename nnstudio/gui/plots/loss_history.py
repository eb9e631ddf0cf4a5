"""The loss record behind the loss plot, and which of its points to draw.

`LossHistory` keeps every epoch's losses in growable arrays (doubling, like a list but contiguous).
`Envelope` chooses the points a curve draws: all of them while there are few; beyond that, the
lowest and the highest point of each bucket of consecutive epochs, in the order they happened.
A spike or a dip a thousand epochs wide or one epoch wide stays on screen, and a frame costs
the same at a million epochs as at ten thousand: each append only files the new points into
buckets, and when there are too many buckets, neighbours merge in pairs.
"""

from __future__ import annotations

import math

import numpy as np

RAW_POINTS_MAX = 4096  # up to this many points a curve is drawn point by point
BUCKETS_MAX = 2048  # beyond that, at most this many buckets of two points each (one screen's width)


class LossHistory:
    """Epochs, train loss, test loss and the weights' penalty (NaN without regularisation) in one
    (4, capacity) array that doubles when full."""

    def __init__(self, capacity: int = 1024) -> None:
        self._data = np.empty((4, capacity), dtype=np.float64)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def extend(
        self, epochs: np.ndarray, train: np.ndarray, test: np.ndarray, penalty: np.ndarray | None = None
    ) -> None:
        count = len(epochs)
        penalty = np.full(count, np.nan) if penalty is None else penalty
        if not len(train) == len(test) == len(penalty) == count:
            raise ValueError(f"epochs, train and test must have one value each: got {count}, {len(train)}, {len(test)}")
        needed = self._size + count
        if needed > self._data.shape[1]:
            grown = np.empty((4, max(needed, 2 * self._data.shape[1])), dtype=np.float64)
            grown[:, : self._size] = self._data[:, : self._size]
            self._data = grown
        self._data[0, self._size : needed] = epochs
        self._data[1, self._size : needed] = train
        self._data[2, self._size : needed] = test
        self._data[3, self._size : needed] = penalty
        self._size = needed

    def clear(self) -> None:
        self._size = 0

    # Views, not copies: rows of a C-ordered array are contiguous, as pyqtgraph likes them.
    @property
    def epochs(self) -> np.ndarray:
        return self._data[0, : self._size]

    @property
    def train(self) -> np.ndarray:
        return self._data[1, : self._size]

    @property
    def test(self) -> np.ndarray:
        return self._data[2, : self._size]

    @property
    def penalty(self) -> np.ndarray:
        return self._data[3, : self._size]


def bucket_extremes(values: np.ndarray, bucket: int) -> np.ndarray:
    """For each whole bucket of `bucket` values: the indices of its lowest and highest value, in order.

    NaN counts as neither low nor high (a bucket of NaN only gives its first index twice: a gap).
    """
    count = len(values) // bucket
    rows = values[: count * bucket].reshape(count, bucket)
    missing = np.isnan(rows)
    low = np.where(missing, np.inf, rows).argmin(axis=1)
    high = np.where(missing, -np.inf, rows).argmax(axis=1)
    start = np.arange(count) * bucket
    indices = np.empty(2 * count, dtype=np.intp)
    indices[0::2] = start + np.minimum(low, high)
    indices[1::2] = start + np.maximum(low, high)
    return indices


def _merge_pairs(indices: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Buckets 2k and 2k+1 become one: the lowest and highest of their four extremes, in order."""
    candidates = indices.reshape(-1, 4)
    chosen = values[candidates]
    missing = np.isnan(chosen)
    rows = np.arange(len(candidates))
    low = candidates[rows, np.where(missing, np.inf, chosen).argmin(axis=1)]
    high = candidates[rows, np.where(missing, -np.inf, chosen).argmax(axis=1)]
    merged = np.empty(2 * len(candidates), dtype=np.intp)
    merged[0::2] = np.minimum(low, high)
    merged[1::2] = np.maximum(low, high)
    return merged


class Envelope:
    """Which points of one growing curve to draw: all of them, or each bucket's lowest and highest."""

    def __init__(self, raw_points_max: int = RAW_POINTS_MAX, buckets_max: int = BUCKETS_MAX) -> None:
        self.raw_points_max = raw_points_max
        self.buckets_max = buckets_max
        self.clear()

    def clear(self) -> None:
        self.bucket = 1  # consecutive points per bucket; 1: no buckets yet, every point is drawn
        self._extremes = np.zeros(0, dtype=np.intp)  # two indices per whole bucket
        self._covered = 0  # the points the buckets hold; the rest (fewer than a bucket) are drawn as they are

    def indices(self, values: np.ndarray) -> np.ndarray:
        """The indices of `values` (the curve so far: it only ever grows) to draw, in order."""
        count = len(values)
        if count < self._covered:
            raise ValueError("the curve shrank: clear the envelope first")
        if self.bucket == 1:
            if count <= self.raw_points_max:
                return np.arange(count)
            self.bucket = 1 << max(0, math.ceil(math.log2(count / self.buckets_max)))
        while True:
            whole = (count - self._covered) // self.bucket
            if whole:
                end = self._covered + whole * self.bucket
                new = bucket_extremes(values[self._covered : end], self.bucket) + self._covered
                self._extremes = np.concatenate([self._extremes, new])
                self._covered = end
            if len(self._extremes) <= 2 * self.buckets_max:
                break
            if len(self._extremes) % 4:  # an odd bucket out goes back to the loose points
                self._extremes = self._extremes[:-2]
                self._covered -= self.bucket
            self._extremes = _merge_pairs(self._extremes, values)
            self.bucket *= 2
        return np.concatenate([self._extremes, np.arange(self._covered, count)])


def visible_indices(epochs: np.ndarray, values: np.ndarray, low: float, high: float, buckets_max: int) -> np.ndarray:
    """The points to draw between epochs `low` and `high` (and one beyond each side, so the line
    reaches the edges): all of them if few, else each bucket's extremes. Costs one pass over them."""
    start = max(0, int(np.searchsorted(epochs, low, side="left")) - 1)
    stop = min(len(epochs), int(np.searchsorted(epochs, high, side="right")) + 1)
    count = stop - start
    if count <= 2 * buckets_max:
        return np.arange(start, stop)
    bucket = math.ceil(count / buckets_max)
    whole = bucket_extremes(values[start:stop], bucket) + start
    return np.concatenate([whole, np.arange(start + (count // bucket) * bucket, stop)])
