"""Reading CTranslate2's model.bin: the spec, its revision and every variable, dequantised."""
from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import StageError

CT2_BINARY_VERSION = 6  # the CTranslate2 model.bin layout this reader understands
_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16, 5: "bfloat16"}


@dataclass(frozen=True)
class Ct2Model:
    spec: str  # e.g. "WhisperSpec"
    revision: int  # the spec's revision
    variables: dict  # name -> numpy array (float arrays dequantised, aliases resolved)


class _Reader:
    """Little-endian reads from a memory-mapped model.bin, naming the file on a short read."""

    def __init__(self, path: Path, data):
        self.path, self.data, self.pos = path, data, 0

    def take(self, count: int) -> memoryview:
        if self.pos + count > len(self.data):
            raise StageError(f"{self.path}: ends early (truncated download?); fetch the model again")
        view = memoryview(self.data)[self.pos:self.pos + count]
        self.pos += count
        return view

    def unpack(self, fmt: str):
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))[0]

    def string(self) -> str:
        return bytes(self.take(self.unpack("H"))).rstrip(b"\0").decode("utf-8")

    def array(self) -> tuple[str, np.ndarray]:
        name = self.string()
        shape = tuple(self.unpack("I") for _ in range(self.unpack("B")))
        type_id, size = self.unpack("B"), self.unpack("I")
        if type_id not in _DTYPES:
            raise StageError(f"{self.path}: variable {name} has unknown type id {type_id}; "
                             "re-convert the model with a current ctranslate2")
        return name, _decode(self.take(size), _DTYPES[type_id], shape)


def _decode(raw: memoryview, dtype, shape: tuple[int, ...]) -> np.ndarray:
    if dtype == "bfloat16":  # numpy has no bfloat16: widen the 16 bits into float32's top half
        bits = np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16
        return bits.view(np.float32).reshape(shape)
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def read_ct2(path: Path) -> Ct2Model:
    """Parse a CTranslate2 model.bin (binary format 6): header, variables, aliases."""
    path = Path(path)
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        reader = _Reader(path, data)
        version = reader.unpack("I")
        if version != CT2_BINARY_VERSION:
            raise StageError(f"{path}: CTranslate2 binary format {version}, expected "
                             f"{CT2_BINARY_VERSION}; re-convert it with ctranslate2 4.x")
        spec, revision = reader.string(), reader.unpack("I")
        variables = dict(reader.array() for _ in range(reader.unpack("I")))
        for _ in range(reader.unpack("I")):
            alias, target = reader.string(), reader.string()
            variables[alias] = variables[target]
    return Ct2Model(spec, revision, _dequantise(variables))


def _dequantise(variables: dict) -> dict:
    """int8/int16 weights with a `weight_scale` (CTranslate2 quantisation) back to float32."""
    result = dict(variables)
    for name in [n for n in variables if n.endswith("/weight_scale")]:
        weight = name[: -len("_scale")]
        scale = result.pop(name).astype(np.float32)
        result[weight] = result[weight].astype(np.float32) / scale.reshape(-1, 1, *[1] * (result[weight].ndim - 2))
    return result
