"""Builds `<name>-encoder.onnx` (sherpa-onnx whisper layout):

    mel [N, n_mels, T] float32  →  n_layer_cross_k, n_layer_cross_v [n_text_layer, N, T/2, n_text_state]

T is 3000 for a 30 s window; our graph also accepts any even T ≤ 3000 (the positional embedding is sliced to T/2),
which lets the engine encode a short utterance without 30 s of padding. The cross-attention keys/values of every
decoder layer are computed here once per utterance, so the decoder never repeats them.
"""

from __future__ import annotations

import numpy as np

from ct2_model import Ct2Whisper
from graph_builder import FLOAT, GraphBuilder, scaled_query


def _conv(g: GraphBuilder, x: str, model: Ct2Whisper, name: str, stride: int) -> str:
    weight = g.weight(f"encoder.{name}.weight", model.get(f"encoder/{name}/weight"))
    bias = g.weight(f"encoder.{name}.bias", model.get(f"encoder/{name}/bias"))
    y = g.op("Conv", [x, weight, bias], hint=name, kernel_shape=[3], pads=[1, 1], strides=[stride])
    return g.gelu(y)


def _encoder_layer(g: GraphBuilder, x: str, model: Ct2Whisper, i: int) -> str:
    p = f"encoder/layer_{i}"
    dims = model.dims
    width, heads = dims["n_audio_state"], dims["n_audio_head"]
    h = g.layer_norm(
        x, model.get(f"{p}/self_attention/layer_norm/gamma"), model.get(f"{p}/self_attention/layer_norm/beta"),
        f"enc{i}.attn_ln",
    )
    qkv_w = model.get(f"{p}/self_attention/linear_0/weight").copy()
    qkv_b = model.get(f"{p}/self_attention/linear_0/bias").copy()
    qkv_w[:width], qkv_b[:width] = scaled_query(qkv_w[:width], qkv_b[:width], width // heads)
    qkv = g.linear(h, qkv_w, qkv_b, f"enc{i}.qkv")
    q, k, v = g.op("Split", [qkv, g.const([width] * 3)], outputs=3, axis=-1)
    attn = g.attention(q, k, v, heads)
    out = g.linear(
        attn, model.get(f"{p}/self_attention/linear_1/weight"), model.get(f"{p}/self_attention/linear_1/bias"),
        f"enc{i}.attn_out",
    )
    x = g.op("Add", [x, out], hint=f"enc{i}.res1")
    h = g.layer_norm(x, model.get(f"{p}/ffn/layer_norm/gamma"), model.get(f"{p}/ffn/layer_norm/beta"), f"enc{i}.ffn_ln")
    h = g.gelu(g.linear(h, model.get(f"{p}/ffn/linear_0/weight"), model.get(f"{p}/ffn/linear_0/bias"), f"enc{i}.fc1"))
    h = g.linear(h, model.get(f"{p}/ffn/linear_1/weight"), model.get(f"{p}/ffn/linear_1/bias"), f"enc{i}.fc2")
    return g.op("Add", [x, h], hint=f"enc{i}.res2")


def _cross_key_values(g: GraphBuilder, x: str, model: Ct2Whisper) -> tuple[str, str]:
    """One MatMul for every decoder layer's cross K and V: [N, T', d] → two [L, N, T', d] tensors."""
    layers, width = model.dims["n_text_layer"], model.dims["n_text_state"]
    weights = [model.get(f"decoder/layer_{j}/attention/linear_1/weight") for j in range(layers)]
    biases = [model.get(f"decoder/layer_{j}/attention/linear_1/bias") for j in range(layers)]
    # Each layer's fused weight is [2d, d] (K rows, then V rows); stacking gives output columns (layer, k|v, d).
    kv = g.linear(x, np.concatenate(weights, axis=0), np.concatenate(biases, axis=0), "cross_kv")
    shaped = g.op("Reshape", [kv, g.const([0, 0, layers, 2, width])])
    ordered = g.op("Transpose", [shaped], perm=[3, 2, 0, 1, 4])  # [2, L, N, T', d]
    k, v = g.op("Split", [ordered, g.const([1, 1])], outputs=2, axis=0)
    squeeze_axis = g.const([0])
    return g.op("Squeeze", [k, squeeze_axis]), g.op("Squeeze", [v, squeeze_axis])


def build_encoder(model: Ct2Whisper, metadata: dict[str, str]):
    """The encoder ModelProto for this model, with `metadata` in its metadata_props."""
    dims = model.dims
    g = GraphBuilder("whisper_encoder")
    mel = g.input("mel", FLOAT, ["n_audio", dims["n_mels"], "n_frames"])
    x = _conv(g, mel, model, "conv1", 1)
    x = _conv(g, x, model, "conv2", 2)
    x = g.op("Transpose", [x], perm=[0, 2, 1])  # [N, T', d]
    positions = g.weight("encoder.positional_embedding", model.get("encoder/position_encodings/encodings"))
    length = g.op("Slice", [g.op("Shape", [x]), g.const([1]), g.const([2])])
    x = g.op("Add", [x, g.op("Slice", [positions, g.const([0]), length, g.const([0])], hint="pos")])
    for i in range(dims["n_audio_layer"]):
        x = _encoder_layer(g, x, model, i)
    x = g.layer_norm(x, model.get("encoder/layer_norm/gamma"), model.get("encoder/layer_norm/beta"), "enc.ln_post")
    k, v = _cross_key_values(g, x, model)
    cross_shape = [dims["n_text_layer"], "n_audio", "n_audio_ctx", dims["n_text_state"]]
    g.output(k, "n_layer_cross_k", FLOAT, cross_shape)
    g.output(v, "n_layer_cross_v", FLOAT, cross_shape)
    return g.model(metadata)
