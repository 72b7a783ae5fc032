#!/usr/bin/env python3
"""Test fixture: re-saves a CTranslate2 Whisper model with another weight type using CTranslate2's own writer
(ctranslate2.specs), so the converter can be tested on int8 / int16 / float32 / bfloat16 model.bin files as
CTranslate2 writes them.

Usage: python ct2_variant.py <source_dir> <out_dir> <quantization>
       python ct2_variant.py --check <source_dir> <variant_dir>
           compares the converter's dequantized weights of the variant with the source's, per row, and prints the
           largest error in units of the row's quantization step (≤ 0.5 + rounding means exact dequantization)
"""

import json
import os
import shutil
import sys

import numpy as np
from ctranslate2.specs import whisper_spec

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../../../scripts/whisper"))
from ct2_model import dequantize, infer_dims, read_model_bin  # noqa: E402


def _target(spec, name: str):
    """The spec object and attribute a model.bin variable name refers to (layer_3 → .layer[3], linear_1 → .linear[1])."""
    *scopes, attr = name.split("/")
    node = spec
    for scope in scopes:
        base, _, index = scope.rpartition("_")
        if index.isdigit() and hasattr(node, base):
            node = getattr(node, base)[int(index)]
        else:
            node = getattr(node, scope)
    return node, attr


def check(source: str, variant: str) -> int:
    original, _ = dequantize(read_model_bin(os.path.join(source, "model.bin"))[0])
    raw, _ = read_model_bin(os.path.join(variant, "model.bin"))
    restored, dtype = dequantize(raw)
    worst, compared = 0.0, 0
    for name, value in original.items():
        if value.dtype.kind != "f" or name not in restored:
            continue
        scale = raw.get(name + "_scale")
        step = (1.0 / scale.astype(np.float64)).reshape(-1, *([1] * (value.ndim - 1))) if scale is not None else None
        error = np.abs(restored[name].astype(np.float64) - value.astype(np.float64))
        # Unquantized tensors must come back exactly (up to the float16 → float32 cast); quantized ones within a step.
        worst = max(worst, float(np.max(error / step)) if step is not None else float(np.max(error)) * 1e6)
        compared += 1
    print(json.dumps({"dtype": dtype, "compared": compared, "worst_steps": worst}))
    return 0


def main() -> int:
    if sys.argv[1] == "--check":
        return check(sys.argv[2], sys.argv[3])
    source, out, quantization = sys.argv[1:4]
    raw, _ = read_model_bin(os.path.join(source, "model.bin"))
    dims = infer_dims(raw)
    spec = whisper_spec.WhisperSpec(dims["n_audio_layer"], dims["n_audio_head"], dims["n_text_layer"], dims["n_text_head"])
    for name, value in raw.items():
        if value.ndim == 0 or name.endswith("_scale") or name == "decoder/projection/weight":
            continue  # scalars come from the spec's constructor; the projection is tied to the embedding
        node, attr = _target(spec, name)
        setattr(node, attr, np.array(value, dtype=np.float32))
    spec.decoder.projection.weight = spec.decoder.embeddings.weight
    with open(os.path.join(source, "vocabulary.txt"), encoding="utf-8") as f:
        spec.register_vocabulary([line.rstrip("\n") for line in f])
    config = json.load(open(os.path.join(source, "config.json"), encoding="utf-8"))
    for key, value in config.items():
        setattr(spec.config, key, value)
    spec.validate()
    spec.optimize(quantization=quantization)
    os.makedirs(out, exist_ok=True)
    spec.save(out)
    shutil.copy(os.path.join(source, "tokenizer.json"), os.path.join(out, "tokenizer.json"))
    print(json.dumps({"written": out, "quantization": quantization}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
