"""Builds `<name>-decoder.onnx` (sherpa-onnx whisper layout):

    tokens                  int64 [N, n]          the next n tokens (the prompt, then one token per step)
    in_n_layer_self_k_cache float [L, N, 448, d]  self-attention keys of positions < offset
    in_n_layer_self_v_cache float [L, N, 448, d]
    n_layer_cross_k         float [L, N, T', d]   from the encoder
    n_layer_cross_v         float [L, N, T', d]
    offset                  int64 [1]             position of tokens[:, 0]
  →
    logits                   float [N, n, n_vocab]
    out_n_layer_self_k_cache float [L, N, 448, d] the input cache with positions offset..offset+n filled in
    out_n_layer_self_v_cache float [L, N, 448, d]
"""

from __future__ import annotations

import numpy as np

from ct2_model import Ct2Whisper
from graph_builder import FLOAT, INT64, GraphBuilder, scaled_query

class _Positions:
    """Index values shared by every layer: the new tokens' positions and the causal mask over the cache."""

    def __init__(self, g: GraphBuilder, tokens: str, offset: str):
        count = g.op("Slice", [g.op("Shape", [tokens]), g.const([1]), g.const([2])])  # [1]
        self.offset = offset
        self.end = g.op("Add", [offset, count], hint="end")  # [1]
        scalar = g.const([0])
        start = g.op("Squeeze", [offset, scalar])
        stop = g.op("Squeeze", [self.end, scalar])
        self.positions = g.op("Range", [start, stop, g.const(1)], hint="positions")  # [n]
        keys = g.op("Range", [g.const(0), stop, g.const(1)], hint="key_positions")  # [offset + n]
        future = g.op("Greater", [g.op("Unsqueeze", [keys, g.const([0])]), g.op("Unsqueeze", [self.positions, g.const([1])])])
        # A large negative bias above the diagonal: a token attends to itself and to earlier positions only.
        mask = g.op("Where", [future, g.const(-1e9, np.float32), g.const(0.0, np.float32)])
        self.mask = g.op("Unsqueeze", [mask, g.const([0, 1])], hint="mask")  # [1, 1, n, offset + n]


def _keys_so_far(g: GraphBuilder, cache: str, layer: int, new: str, pos: _Positions) -> str:
    """This layer's cached positions < offset followed by the new ones: [N, offset + n, d]."""
    cached = g.op("Slice", [cache, g.const([layer, 0]), g.op("Concat", [g.const([layer + 1]), pos.offset], axis=0),
                            g.const([0, 2])])
    return g.op("Concat", [g.op("Squeeze", [cached, g.const([0])]), new], axis=1, hint="keys")


def _updated_cache(g: GraphBuilder, cache: str, news: list[str], pos: _Positions) -> str:
    """The input cache with every layer's new entries written at positions offset … offset + n − 1 (one copy)."""
    updates = g.op("Concat", [g.op("Unsqueeze", [n, g.const([0])]) for n in news], axis=0)  # [L, N, n, d]
    where = g.op("Reshape", [pos.positions, g.const([1, 1, -1, 1])])
    indices = g.op("Expand", [where, g.op("Shape", [updates])])
    return g.op("ScatterElements", [cache, indices, updates], axis=2, hint="cache")


def _decoder_layer(g: GraphBuilder, x: str, model: Ct2Whisper, i: int, io: dict, pos: _Positions):
    p = f"decoder/layer_{i}"
    width, heads = model.dims["n_text_state"], model.dims["n_text_head"]
    head_dim = width // heads

    def ln(x: str, scope: str) -> str:
        return g.layer_norm(x, model.get(f"{p}/{scope}/layer_norm/gamma"), model.get(f"{p}/{scope}/layer_norm/beta"),
                            f"dec{i}.{scope}_ln")

    def lin(x: str, scope: str, index: int, w=None, b=None) -> str:
        w = model.get(f"{p}/{scope}/linear_{index}/weight") if w is None else w
        b = model.get(f"{p}/{scope}/linear_{index}/bias") if b is None else b
        return g.linear(x, w, b, f"dec{i}.{scope}{index}")

    qkv_w = model.get(f"{p}/self_attention/linear_0/weight").copy()
    qkv_b = model.get(f"{p}/self_attention/linear_0/bias").copy()
    qkv_w[:width], qkv_b[:width] = scaled_query(qkv_w[:width], qkv_b[:width], head_dim)
    q, k, v = g.op("Split", [lin(ln(x, "self_attention"), "self_attention", 0, qkv_w, qkv_b), g.const([width] * 3)],
                   outputs=3, axis=-1)
    keys = _keys_so_far(g, io["k_cache"], i, k, pos)
    values = _keys_so_far(g, io["v_cache"], i, v, pos)
    attn = g.attention(q, keys, values, heads, bias=pos.mask)
    x = g.op("Add", [x, lin(attn, "self_attention", 1)], hint=f"dec{i}.res1")

    cq_w, cq_b = scaled_query(model.get(f"{p}/attention/linear_0/weight"), model.get(f"{p}/attention/linear_0/bias"),
                              head_dim)
    cq = lin(ln(x, "attention"), "attention", 0, cq_w, cq_b)
    ck = g.op("Gather", [io["cross_k"], g.const(i)], axis=0)
    cv = g.op("Gather", [io["cross_v"], g.const(i)], axis=0)
    x = g.op("Add", [x, lin(g.attention(cq, ck, cv, heads), "attention", 2)], hint=f"dec{i}.res2")

    h = lin(g.gelu(lin(ln(x, "ffn"), "ffn", 0)), "ffn", 1)
    return g.op("Add", [x, h], hint=f"dec{i}.res3"), k, v


def build_decoder(model: Ct2Whisper, metadata: dict[str, str] | None = None, projection: str = "gemm"):
    """The decoder ModelProto for this model. `projection="matmul"` stores a transposed copy of the embedding for the
    output layer, so that int8 quantization (which handles MatMul, not Gemm) shrinks the biggest product."""
    dims = model.dims
    layers, ctx, width = dims["n_text_layer"], dims["n_text_ctx"], dims["n_text_state"]
    g = GraphBuilder("whisper_decoder")
    tokens = g.input("tokens", INT64, ["n_audio", "n_tokens"])
    cache_shape = [layers, "n_audio", ctx, width]
    cross_shape = [layers, "n_audio", "n_audio_ctx", width]
    io = {
        "k_cache": g.input("in_n_layer_self_k_cache", FLOAT, cache_shape),
        "v_cache": g.input("in_n_layer_self_v_cache", FLOAT, cache_shape),
        "cross_k": g.input("n_layer_cross_k", FLOAT, cross_shape),
        "cross_v": g.input("n_layer_cross_v", FLOAT, cross_shape),
    }
    offset = g.input("offset", INT64, [1])
    pos = _Positions(g, tokens, offset)

    embeddings = g.weight("decoder.token_embedding", model.get("decoder/embeddings/weight"))
    positional = g.weight("decoder.positional_embedding", model.get("decoder/position_encodings/encodings"))
    x = g.op("Add", [g.op("Gather", [embeddings, tokens], axis=0), g.op("Gather", [positional, pos.positions], axis=0)])

    new_keys, new_values = [], []
    for i in range(layers):
        x, k, v = _decoder_layer(g, x, model, i, io, pos)
        new_keys.append(k)
        new_values.append(v)
    x = g.layer_norm(x, model.get("decoder/layer_norm/gamma"), model.get("decoder/layer_norm/beta"), "dec.ln")

    # Output projection tied to the token embedding: Gemm with transB reads the [V, d] table as it is stored.
    flat = g.op("Reshape", [x, g.const([-1, width])])
    if projection == "matmul":
        table = model.get("decoder/embeddings/weight").T
        logits = g.op("MatMul", [flat, g.weight("decoder.output_projection", table)], hint="logits_flat")
    else:
        logits = g.op("Gemm", [flat, embeddings], transB=1, hint="logits_flat")
    shape = g.op("Concat", [g.op("Shape", [tokens]), g.const([dims["n_vocab"]])], axis=0)
    g.output(g.op("Reshape", [logits, shape]), "logits", FLOAT, ["n_audio", "n_tokens", dims["n_vocab"]])
    g.output(_updated_cache(g, io["k_cache"], new_keys, pos), "out_n_layer_self_k_cache", FLOAT, cache_shape)
    g.output(_updated_cache(g, io["v_cache"], new_values, pos), "out_n_layer_self_v_cache", FLOAT, cache_shape)
    return g.model(metadata)
