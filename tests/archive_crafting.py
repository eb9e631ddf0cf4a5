"""Crafting hostile `.nnstudio` files for the tests: members rebuilt byte for byte, .npy headers that lie,
zip bombs, and a Hypothesis strategy that mutates one member of a real file (so the archive's own checksums
stay right and the damage reaches the parsers behind them)."""

from __future__ import annotations

import copy
import io
import zipfile

import numpy as np
import tomli_w
from hypothesis import strategies as st
from numpy.lib import format as npy_format

OUTER = ("experiment.toml", "run.toml", "arrays.npz")


def members(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        return {name: zipped.read(name) for name in zipped.namelist()}


def zipped(contents: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def with_members(archive: bytes, **changes: bytes | None) -> bytes:
    """`archive` with members replaced (run_toml=b"...") or removed (None)."""
    contents = members(archive)
    for key, value in changes.items():
        name = key.replace("_", ".", 1)
        if value is None:
            contents.pop(name, None)
        else:
            contents[name] = value
    return zipped(contents)


def with_arrays(archive: bytes, compression: int = zipfile.ZIP_STORED, **changes: bytes | None) -> bytes:
    """`archive` whose arrays.npz has the .npy members `changes` (key with "__" for "/") as raw bytes."""
    inner = members(members(archive)["arrays.npz"])
    for key, value in changes.items():
        name = key.replace("__", "/") + ".npy"
        if value is None:
            inner.pop(name, None)
        else:
            inner[name] = value
    return with_members(archive, arrays_npz=zipped(inner, compression))


def with_run(archive: bytes, summary: dict) -> bytes:
    return with_members(archive, run_toml=tomli_w.dumps(summary).encode())


def npy(array: np.ndarray, shape: tuple[int, ...] | None = None, data: bytes | None = None) -> bytes:
    """The .npy bytes of `array`, its header optionally claiming another `shape` and its data replaced."""
    header = npy_format.header_data_from_array_1_0(np.asarray(array))
    if shape is not None:
        header["shape"] = shape
    buffer = io.BytesIO()
    npy_format.write_array_header_1_0(buffer, header)
    buffer.write(np.asarray(array).tobytes() if data is None else data)
    return buffer.getvalue()


def npz_bomb(key: str, unpacked_bytes: int) -> bytes:
    """An arrays.npz whose one member, `key`, is float64 zeros: `unpacked_bytes` deflated to ~1/1000 of that."""
    count = unpacked_bytes // 8
    header = io.BytesIO()
    npy_format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (count,)})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open(key + ".npy", "w", force_zip64=True) as stream:
            stream.write(header.getvalue())
            chunk, left = bytes(4 * 1024 * 1024), count * 8
            while left > 0:
                stream.write(chunk[: min(left, len(chunk))])
                left -= len(chunk)
    return buffer.getvalue()


@st.composite
def mutated(draw, data: bytes) -> bytes:
    """`data` with bits flipped, cut short, or extended (by garbage or by a copy of itself)."""
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["flip", "cut", "extend", "overwrite"]))
        where = draw(st.integers(0, max(0, len(data) - 1)))
        if action == "flip" and data:
            data[where] ^= 1 << draw(st.integers(0, 7))
        elif action == "cut":
            del data[where:]
        elif action == "extend":
            data[where:where] = draw(st.one_of(st.binary(min_size=1, max_size=32), st.just(bytes(data[:64]))))
        elif action == "overwrite" and data:
            patch = draw(st.binary(min_size=1, max_size=8))
            data[where : where + len(patch)] = patch
    return bytes(data)


@st.composite
def archive_with_a_mutated_member(draw, archive: bytes) -> bytes:
    """A real archive with one member, or one .npy inside arrays.npz, mutated (checksums recomputed)."""
    outer = members(archive)
    inner = members(outer["arrays.npz"])
    choice = draw(st.sampled_from([*OUTER, *sorted(inner)]))
    if choice in outer:
        outer[choice] = draw(mutated(outer[choice]))
    else:
        inner[choice] = draw(mutated(inner[choice]))
        outer["arrays.npz"] = zipped(inner, zipfile.ZIP_STORED)
    return zipped(outer)


# Every number in run.toml, pushed to an extreme (and a few values of the wrong kind).
EXTREMES = [
    0, -1, 1, 2**31, 2**53, 2**53 + 1, 2**62, 2**63 - 1, -(2**63), 10**15, 10**400,
    1e308, -1e308, float("inf"), float("-inf"), float("nan"), 5e-324, 0.5, True, "9", [1],
]  # fmt: skip


def numbers_in(summary: dict, prefix: tuple = ()) -> list[tuple]:
    """The paths of every number in a run.toml table, e.g. ("progress", "epoch")."""
    found = []
    for key, value in summary.items():
        if isinstance(value, dict):
            found += numbers_in(value, (*prefix, key))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            found.append((*prefix, key))
    return found


def set_at(summary: dict, path: tuple, value) -> dict:
    changed = copy.deepcopy(summary)
    table = changed
    for key in path[:-1]:
        table = table[key]
    table[path[-1]] = value
    return changed
