"""Reads a CTranslate2 Whisper model directory (model.bin + config.json + vocabulary) into float32 numpy arrays.

The model.bin layout (binary version 6, little endian) is: u32 version, string spec name, u32 spec revision,
u32 variable count, then per variable: string name, u8 rank, u32 dims[rank], u8 dtype id, u32 byte count, raw bytes;
then u32 alias count and (alias, target) string pairs. A string is u16 length (including a trailing NUL) + bytes.
Quantized weights carry a sibling `<name>_scale` (per output row for int8, one scalar for int16); the float value is
`q / scale`.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass, field

import numpy as np

# Order of CTranslate2's DataType enum, as written in model.bin.
_DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")


class Ct2FormatError(Exception):
    """The input is not a CTranslate2 Whisper model this converter understands."""


@dataclass
class Ct2Whisper:
    """The weights (float32, dequantized) and settings of one CTranslate2 Whisper model."""

    variables: dict[str, np.ndarray]
    config: dict
    source_dtype: str
    vocabulary: list[str]
    tokenizer: dict | None
    dims: dict[str, int] = field(default_factory=dict)

    def get(self, name: str) -> np.ndarray:
        if name not in self.variables:
            raise Ct2FormatError(f"model.bin has no variable '{name}'")
        return self.variables[name]


def _bfloat16_to_float32(raw: bytes) -> np.ndarray:
    halves = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
    return halves.view(np.float32)


class _Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, fmt: str):
        value = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return value[0]

    def string(self) -> str:
        length = self.take("H")
        raw = self.data[self.pos : self.pos + length - 1]
        self.pos += length
        return raw.decode("utf-8")

    def raw(self, count: int) -> bytes:
        if self.pos + count > len(self.data):
            raise Ct2FormatError("model.bin is truncated")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk


def read_model_bin(path: str) -> tuple[dict[str, np.ndarray], str]:
    """Returns (raw variables with their stored dtypes, spec name). Aliases resolve to their target array."""
    with open(path, "rb") as f:
        reader = _Reader(f.read())
    version = reader.take("I")
    if version < 5 or version > 6:
        raise Ct2FormatError(f"unsupported model.bin binary version {version} (this converter reads 5 and 6)")
    spec = reader.string()
    reader.take("I")  # spec revision
    count = reader.take("I")
    variables: dict[str, np.ndarray] = {}
    for _ in range(count):
        name = reader.string()
        rank = reader.take("B")
        shape = tuple(reader.take("I") for _ in range(rank))
        dtype_id = reader.take("B")
        if dtype_id >= len(_DTYPES):
            raise Ct2FormatError(f"variable {name}: unknown dtype id {dtype_id}")
        raw = reader.raw(reader.take("I"))
        dtype = _DTYPES[dtype_id]
        if dtype == "bfloat16":
            array = _bfloat16_to_float32(raw)
        else:
            array = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<"))
        variables[name] = array.reshape(shape)
    for _ in range(reader.take("I")):
        alias, target = reader.string(), reader.string()
        variables[alias] = variables[target]
        if target + "_scale" in variables:  # a quantized target shares its scale with the alias
            variables[alias + "_scale"] = variables[target + "_scale"]
    return variables, spec


def dequantize(raw: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], str]:
    """Float32 copies of every weight; quantized ones divided by their scale. Returns (weights, weight dtype)."""
    out: dict[str, np.ndarray] = {}
    weight_dtype = "float32"
    for name, value in raw.items():
        if name.endswith("_scale"):
            continue
        scale = raw.get(name + "_scale")
        if scale is not None and value.dtype in (np.int8, np.int16):
            weight_dtype = str(value.dtype)
            flat = value.reshape(value.shape[0], -1).astype(np.float32)
            scale = scale.astype(np.float32)
            divisor = scale.reshape(-1, 1) if scale.ndim == 1 else scale
            out[name] = (flat / divisor).reshape(value.shape)
        elif value.dtype.kind == "f":
            if value.dtype == np.float16 and value.ndim >= 2:
                weight_dtype = "float16" if weight_dtype == "float32" else weight_dtype
            out[name] = value.astype(np.float32)
        else:
            out[name] = value
    return out, weight_dtype


def _count_layers(variables: dict[str, np.ndarray], prefix: str) -> int:
    count = 0
    while f"{prefix}/layer_{count}/ffn/linear_0/bias" in variables:
        count += 1
    return count


def _heads(variables: dict[str, np.ndarray], prefix: str, width: int) -> int:
    value = variables.get(f"{prefix}/num_heads")
    # Whisper's head size is 64 for every published size; older conversions omit num_heads.
    return int(value) if value is not None else width // 64


def infer_dims(variables: dict[str, np.ndarray]) -> dict[str, int]:
    """Model dimensions in OpenAI's naming (n_mels, n_audio_ctx, …), read from the weight shapes."""
    conv1 = variables["encoder/conv1/weight"]
    embeddings = variables["decoder/embeddings/weight"]
    return {
        "n_mels": int(conv1.shape[1]),
        "n_audio_ctx": int(variables["encoder/position_encodings/encodings"].shape[0]),
        "n_audio_state": int(conv1.shape[0]),
        "n_audio_head": _heads(variables, "encoder", int(conv1.shape[0])),
        "n_audio_layer": _count_layers(variables, "encoder"),
        "n_vocab": int(embeddings.shape[0]),
        "n_text_ctx": int(variables["decoder/position_encodings/encodings"].shape[0]),
        "n_text_state": int(embeddings.shape[1]),
        "n_text_head": _heads(variables, "decoder", int(embeddings.shape[1])),
        "n_text_layer": _count_layers(variables, "decoder"),
    }


def _read_vocabulary(model_dir: str) -> list[str]:
    for name in ("vocabulary.txt", "vocabulary.json"):
        path = os.path.join(model_dir, name)
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            if name.endswith(".json"):
                return list(json.load(f))
            return [line.rstrip("\n") for line in f]
    raise Ct2FormatError(f"{model_dir} has no vocabulary.txt or vocabulary.json")


def load(model_dir: str) -> Ct2Whisper:
    """Loads a faster-whisper / CTranslate2 Whisper model directory."""
    bin_path = os.path.join(model_dir, "model.bin")
    if not os.path.exists(bin_path):
        raise Ct2FormatError(f"{model_dir} has no model.bin (expected a faster-whisper / CTranslate2 model directory)")
    raw, spec = read_model_bin(bin_path)
    if spec != "WhisperSpec":
        raise Ct2FormatError(f"model.bin holds a {spec}, not a WhisperSpec")
    variables, source_dtype = dequantize(raw)
    config_path = os.path.join(model_dir, "config.json")
    config = json.load(open(config_path, encoding="utf-8")) if os.path.exists(config_path) else {}
    tokenizer_path = os.path.join(model_dir, "tokenizer.json")
    tokenizer = json.load(open(tokenizer_path, encoding="utf-8")) if os.path.exists(tokenizer_path) else None
    model = Ct2Whisper(variables, config, source_dtype, _read_vocabulary(model_dir), tokenizer)
    model.dims = infer_dims(variables)
    if len(model.vocabulary) != model.dims["n_vocab"]:
        raise Ct2FormatError(
            f"vocabulary has {len(model.vocabulary)} tokens but the embedding has {model.dims['n_vocab']} rows"
        )
    return model
