#!/usr/bin/env python3
"""Converts a faster-whisper / CTranslate2 Whisper model directory into the sherpa-onnx whisper ONNX layout that
our engine (orchestrator/asr/whisper) loads:

    <out>/<name>-encoder.onnx   mel → per-layer cross-attention K/V (metadata: dims, special tokens)
    <out>/<name>-decoder.onnx   tokens + self-attention KV cache + offset → logits + updated cache
    <out>/<name>-tokens.txt     base64(token bytes) id, one regular token per line
    <out>/manifest.json         sha256 + size of each file, and of the source model.bin

Works for every Whisper size (tiny … large-v3, `.en` or multilingual; 128 mel bins for large-v3) and every weight
type CTranslate2 writes (float32, float16, bfloat16, int8, int16: weights are dequantized to float32).

Usage:
    python scripts/whisper/ct2_to_onnx.py <ct2_model_dir> <out_dir> [--name tiny.en] [--int8]
    python scripts/whisper/ct2_to_onnx.py --fingerprint     # hash of the converter code (recorded in manifests)

Needs numpy and onnx; `--int8` also needs onnxruntime (dynamic int8 quantization of the MatMul weights, written as
`<name>-encoder.int8.onnx` / `<name>-decoder.int8.onnx`, as sherpa-onnx publishes them).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time

import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ct2_model import Ct2FormatError, load  # noqa: E402
from decoder_graph import build_decoder  # noqa: E402
from encoder_graph import build_encoder  # noqa: E402
from vocab import encoder_metadata, non_speech_tokens, special_ids, write_tokens  # noqa: E402

CONVERTER_VERSION = "1"
# The modules whose code decides the output; their hash goes into the manifest so a changed converter rebuilds.
_CONVERTER_FILES = ("ct2_model.py", "vocab.py", "graph_builder.py", "encoder_graph.py", "decoder_graph.py",
                    "ct2_to_onnx.py")
# Protobuf caps one file at 2 GiB; larger graphs keep their weights in a side file next to the .onnx.
_EXTERNAL_DATA_BYTES = 1_800_000_000


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def converter_fingerprint() -> str:
    """sha256 over this converter's source files (what decides the graphs it writes)."""
    digest = hashlib.sha256(CONVERTER_VERSION.encode())
    here = os.path.dirname(os.path.abspath(__file__))
    for name in _CONVERTER_FILES:
        with open(os.path.join(here, name), "rb") as f:
            digest.update(name.encode() + b"\0" + f.read())
    return digest.hexdigest()


def _save(model: onnx.ModelProto, path: str) -> list[str]:
    """Saves the model; returns the file names written (the .onnx and, for big graphs, its .data file)."""
    size = sum(len(t.raw_data) for t in model.graph.initializer)
    if size < _EXTERNAL_DATA_BYTES:
        onnx.save(model, path)
        return [os.path.basename(path)]
    data_name = os.path.basename(path) + ".data"
    onnx.save(model, path, save_as_external_data=True, all_tensors_to_one_file=True, location=data_name)
    return [os.path.basename(path), data_name]


def _quantize(model, staging: str, name: str) -> list[str]:
    """Writes `<name>-encoder.int8.onnx` and `<name>-decoder.int8.onnx`: MatMul weights as int8, dynamic activations."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    plain_decoder = os.path.join(staging, "decoder-for-int8.onnx")
    _save(build_decoder(model, {"model_type": f"whisper-{name}"}, projection="matmul"), plain_decoder)
    written = []
    for source, target in ((os.path.join(staging, f"{name}-encoder.onnx"), f"{name}-encoder.int8.onnx"),
                           (plain_decoder, f"{name}-decoder.int8.onnx")):
        quantize_dynamic(
            source,
            os.path.join(staging, target),
            op_types_to_quantize=["MatMul"],
            weight_type=QuantType.QInt8,
            # MultiHeadAttention (com.microsoft) outputs have no inferred type; they are float.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
        written.append(target)
    os.remove(plain_decoder)
    return written


def convert(model_dir: str, out_dir: str, name: str, int8: bool = False, log=print) -> dict:
    """Converts one model; returns the manifest it wrote. Files appear atomically (built in a temp dir, renamed)."""
    started = time.monotonic()
    model = load(model_dir)
    log(f"loaded {model_dir}: {model.dims} weights {model.source_dtype}")
    ids = special_ids(model)
    suppress = non_speech_tokens(model)

    os.makedirs(out_dir, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".ct2_to_onnx-", dir=out_dir)
    try:
        manifest = _write_all(model, model_dir, staging, out_dir, name, int8, ids, suppress)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log(f"wrote {len(manifest['files'])} files to {out_dir} in {time.monotonic() - started:.1f} s")
    return manifest


def _write_all(model, model_dir: str, staging: str, out_dir: str, name: str, int8: bool, ids: dict, suppress) -> dict:
    metadata = encoder_metadata(model, name, ids, suppress)
    files = []
    files += _save(build_encoder(model, metadata), os.path.join(staging, f"{name}-encoder.onnx"))
    files += _save(build_decoder(model, {"model_type": f"whisper-{name}"}), os.path.join(staging, f"{name}-decoder.onnx"))
    write_tokens(model, ids["eot"], os.path.join(staging, f"{name}-tokens.txt"))
    files.append(f"{name}-tokens.txt")
    if int8:
        files += _quantize(model, staging, name)

    manifest = {
        "format": "sherpa-onnx-whisper",
        "name": name,
        "converter_version": CONVERTER_VERSION,
        "converter_fingerprint": converter_fingerprint(),
        "source": {"model.bin": sha256_of(os.path.join(model_dir, "model.bin")), "dtype": model.source_dtype},
        "dims": model.dims,
        "files": {f: {"bytes": os.path.getsize(os.path.join(staging, f)), "sha256": sha256_of(os.path.join(staging, f))}
                  for f in files},
    }
    with open(os.path.join(staging, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    # The manifest goes last (and the old one first): a folder whose manifest matches its files is complete.
    old_manifest = os.path.join(out_dir, "manifest.json")
    if os.path.exists(old_manifest):
        os.remove(old_manifest)
    for f in files + ["manifest.json"]:
        os.replace(os.path.join(staging, f), os.path.join(out_dir, f))
    return manifest


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    if argv == ["--fingerprint"]:
        print(converter_fingerprint())
        return 0
    parser.add_argument("model_dir", help="faster-whisper / CTranslate2 model directory (model.bin, vocabulary.txt, …)")
    parser.add_argument("out_dir", help="where to write the ONNX layout")
    parser.add_argument("--name", help="file name prefix, e.g. tiny.en (default: the output folder's name)")
    parser.add_argument("--int8", action="store_true", help="also write dynamically quantized int8 graphs")
    args = parser.parse_args(argv)
    name = args.name or os.path.basename(os.path.normpath(args.out_dir))
    try:
        convert(args.model_dir, args.out_dir, name, args.int8)
    except (Ct2FormatError, OSError) as err:
        print(f"ct2_to_onnx: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
