"""Reading ZIP and NumPy `.npz` bytes that may be hostile, without being frozen or flooded by them.

A ZIP archive states sizes it does not have to honour: a central directory of millions of
entries (Python builds an object for each), a member of a few kB that inflates to gigabytes,
and inside an `.npz`, an `.npy` header that declares a shape of 10¹² numbers. `np.load` trusts
all of these. Here every size is read from the headers and judged first, and the data is read
only when everything asked for fits: each member's declared shape and type against what the
caller expects, their total against a cap, and their packing against what zlib can honestly do.
"""

from __future__ import annotations

import io
import math
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.lib import format as npy_format

from nnstudio.core.errors import NNStudioError
from nnstudio.core.files import size_text

_END_OF_DIRECTORY = b"PK\x05\x06"
_ZIP64_LOCATOR, _ZIP64_END = b"PK\x06\x07", b"PK\x06\x06"
_LONGEST_COMMENT = 0xFFFF
MAX_NPY_HEADER_BYTES = 10_000  # numpy's own default limit for a header it will parse
# Deflate cannot pack more than ~1032:1; a member of ours packs a few times at most (a column of NaN more).
# A member that unpacks to more than a few MB yet claims a tighter packing than this is a bomb.
MAX_PACKING_RATIO = 200
PACKING_CHECKED_ABOVE_BYTES = 4 * 1024 * 1024

# What `read_npz` asks of the caller: which keys to read at all (by name alone: the rest are never
# opened), and whether a declared shape and dtype can be what a key is called (else NNStudioError).
Wanted = Callable[[str], bool]
ShapeCheck = Callable[[str, tuple[int, ...], np.dtype], None]


def central_directory_bytes(data: bytes) -> int | None:
    """The size the archive's end record gives its central directory (ZIP64 too); None if there is none."""
    end = data.rfind(_END_OF_DIRECTORY, max(0, len(data) - 22 - _LONGEST_COMMENT))
    if end < 0 or end + 22 > len(data):
        return None  # zipfile will say the archive is damaged
    size = int.from_bytes(data[end + 12 : end + 16], "little")
    if size == 0xFFFFFFFF and end >= 20 and data[end - 20 : end - 16] == _ZIP64_LOCATOR:
        offset = int.from_bytes(data[end - 12 : end - 4], "little")
        if data[offset : offset + 4] == _ZIP64_END:
            size = int.from_bytes(data[offset + 40 : offset + 48], "little")
    return size


def open_zip(data: bytes, what: str, max_directory_bytes: int) -> zipfile.ZipFile:
    """A ZipFile over `data`, once its central directory is known to be small enough to list."""
    size = central_directory_bytes(data)
    if size is not None and size > max_directory_bytes:
        raise NNStudioError(f"{what} lists more files than an nnstudio file ever holds: not opened")
    return zipfile.ZipFile(io.BytesIO(data))


def check_packing(info: zipfile.ZipInfo, what: str) -> None:
    """Refuse a member that claims to unpack far more than deflate could honestly make of its bytes."""
    if info.file_size > PACKING_CHECKED_ABOVE_BYTES and info.file_size > MAX_PACKING_RATIO * max(info.compress_size, 1):
        raise NNStudioError(
            f"{what} claims to unpack {info.compress_size:,} bytes into {info.file_size:,}: "
            "no saved run packs that tightly (a zip bomb?), so it was not opened"
        )


@dataclass(frozen=True)
class _Member:
    info: zipfile.ZipInfo
    key: str
    shape: tuple[int, ...]
    dtype: np.dtype
    fortran_order: bool
    header_bytes: int
    data_bytes: int


def read_npz(
    data: bytes, what: str, wanted: Wanted, check: ShapeCheck, max_total_bytes: int, max_directory_bytes: int
) -> dict[str, np.ndarray]:
    """The `wanted` arrays of an `.npz`, as {key: array}; every problem is one NNStudioError.

    Nothing but headers is read until every wanted member's declared shape and dtype has passed
    `check`, and their total is within `max_total_bytes`.
    """
    try:
        with open_zip(data, what, max_directory_bytes) as npz:
            infos = [info for info in npz.infolist() if info.filename.endswith(".npy") and not info.is_dir()]
            wanted = [_header(npz, info, what) for info in infos if wanted(info.filename[: -len(".npy")])]
            for member in wanted:
                check(member.key, member.shape, member.dtype)
                if member.header_bytes + member.data_bytes != member.info.file_size:
                    raise NNStudioError(
                        f"{what}: {member.key} declares {_shape(member.shape)} numbers, "
                        f"which its {member.info.file_size:,} bytes do not hold"
                    )
            total = sum(m.data_bytes for m in wanted)
            if total > max_total_bytes:
                raise NNStudioError(
                    f"{what} would unpack to {size_text(total)} of arrays, more than the "
                    f"{size_text(max_total_bytes)} an nnstudio file may hold: not opened"
                )
            return {m.key: _read(npz, m, what) for m in wanted}
    except NNStudioError:
        raise
    except NotImplementedError as error:  # a compression method this Python cannot read
        raise NNStudioError(f"{what} cannot be read here: {error}") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError) as error:
        raise NNStudioError(f"{what} is damaged ({error})") from None  # RuntimeError: an encrypted member


def _header(npz: zipfile.ZipFile, info: zipfile.ZipInfo, what: str) -> _Member:
    """A member's key, shape and dtype, read from its `.npy` header alone."""
    key = info.filename[: -len(".npy")]
    check_packing(info, f"{what}: {key}")
    with npz.open(info) as stream:
        if stream.read(6) != b"\x93NUMPY":
            raise NNStudioError(f"{what}: {key} is not a NumPy array (it lacks the .npy mark)")
        version = tuple(stream.read(2))
        readers = {(1, 0): npy_format.read_array_header_1_0, (2, 0): npy_format.read_array_header_2_0}
        if version not in readers:
            raise NNStudioError(f"{what}: {key} is in a NumPy format this nnstudio does not read ({version})")
        try:
            shape, fortran_order, dtype = readers[version](stream, MAX_NPY_HEADER_BYTES)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
            raise
        except Exception as error:  # numpy parses the header as a Python literal: SyntaxError, TokenError...
            raise NNStudioError(f"{what}: the header of {key} is damaged ({type(error).__name__})") from None
        header_bytes = stream.tell()
    if dtype.hasobject or dtype.kind not in "biuf" or dtype.fields is not None or dtype.shape:
        raise NNStudioError(f"{what}: {key} must hold numbers, not {dtype}")
    if any(size < 0 for size in shape):
        raise NNStudioError(f"{what}: {key} declares a negative size {shape}")
    data_bytes = math.prod(shape) * dtype.itemsize  # Python integers: a declared 10¹² cannot overflow
    return _Member(info, key, tuple(shape), dtype, bool(fortran_order), header_bytes, data_bytes)


def _read(npz: zipfile.ZipFile, member: _Member, what: str) -> np.ndarray:
    """The member's numbers, read into a new array (its size is already known to be what it declared)."""
    order = "F" if member.fortran_order else "C"
    array = np.empty(member.shape, dtype=member.dtype, order=order)
    with npz.open(member.info) as stream:
        stream.seek(member.info.file_size - member.data_bytes)
        view = memoryview(array.reshape(-1, order="A")).cast("B")
        read = stream.readinto(view) if member.data_bytes else 0
        if read != member.data_bytes or stream.read(1):  # reading to the end also checks the CRC
            raise NNStudioError(f"{what}: {member.key} is cut short")
    return array


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(f"{size:,}" for size in shape) or "1"
