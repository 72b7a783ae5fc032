"""A small helper over onnx.helper for writing transformer graphs by hand: unique names, initializers, and the
blocks Whisper uses (linear, layer norm, exact GELU, multi-head attention)."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
LAYER_NORM_EPS = 1e-5


class GraphBuilder:
    """Collects nodes and initializers; every helper returns the name of the value it produced."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.inputs: list[onnx.ValueInfoProto] = []
        self.outputs: list[onnx.ValueInfoProto] = []
        self._count = 0
        self._constants: dict[tuple, str] = {}

    def _name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def weight(self, name: str, array: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(np.array(array, order="C", copy=True), name))
        return name

    def const(self, values, dtype=np.int64) -> str:
        """A small constant, shared between uses."""
        array = np.array(values, dtype=dtype)
        key = (array.dtype.str, array.shape, array.tobytes())
        if key not in self._constants:
            self._constants[key] = self.weight(self._name("const"), array)
        return self._constants[key]

    def op(self, op_type: str, inputs: list[str], hint: str | None = None, outputs: int = 1, **attrs):
        names = [self._name(hint or op_type.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, names, **attrs))
        return names[0] if outputs == 1 else names

    def input(self, name: str, elem_type: int, shape: list) -> str:
        self.inputs.append(helper.make_tensor_value_info(name, elem_type, shape))
        return name

    def output(self, value: str, name: str, elem_type: int, shape: list) -> None:
        self.nodes.append(helper.make_node("Identity", [value], [name]))
        self.outputs.append(helper.make_tensor_value_info(name, elem_type, shape))

    # --- blocks -----------------------------------------------------------------------------------------------

    def linear(self, x: str, weight: np.ndarray, bias: np.ndarray | None, name: str) -> str:
        """x @ weight.T + bias, with weight stored transposed ([in, out]) so MatMul reads it directly."""
        y = self.op("MatMul", [x, self.weight(f"{name}.weight_t", weight.T.astype(np.float32))], hint=name)
        if bias is not None:
            y = self.op("Add", [y, self.weight(f"{name}.bias", bias.astype(np.float32))], hint=name)
        return y

    def layer_norm(self, x: str, gamma: np.ndarray, beta: np.ndarray, name: str) -> str:
        return self.op(
            "LayerNormalization",
            [x, self.weight(f"{name}.gamma", gamma), self.weight(f"{name}.beta", beta)],
            hint=name,
            axis=-1,
            epsilon=LAYER_NORM_EPS,
        )

    def gelu(self, x: str) -> str:
        """Exact (erf) GELU, as Whisper is trained with; onnxruntime fuses this pattern into one kernel."""
        scaled = self.op("Div", [x, self.const(np.sqrt(2.0), np.float32)])
        erf = self.op("Erf", [scaled])
        one_plus = self.op("Add", [erf, self.const(1.0, np.float32)])
        half_x = self.op("Mul", [x, self.const(0.5, np.float32)])
        return self.op("Mul", [half_x, one_plus], hint="gelu")

    def attention(self, q: str, k: str, v: str, heads: int, bias: str | None = None) -> str:
        """Multi-head attention over [N, T, d] inputs (onnxruntime's MultiHeadAttention kernel: no head transposes).
        Q already carries the 1/sqrt(dh) scale, folded into its weights, so the kernel's own scale is 1."""
        inputs = [q, k, v] + (["", "", bias] if bias is not None else [])
        return self.op("MultiHeadAttention", inputs, hint="attn", domain="com.microsoft", num_heads=heads, scale=1.0)

    def model(self, metadata: dict[str, str] | None = None) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, self.prefix, self.inputs, self.outputs, self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)], producer_name="ct2_to_onnx")
        model.ir_version = 8
        for key, value in (metadata or {}).items():
            entry = model.metadata_props.add()
            entry.key, entry.value = key, value
        return model


FLOAT = TensorProto.FLOAT
INT64 = TensorProto.INT64


def scaled_query(weight: np.ndarray, bias: np.ndarray, head_dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Folds attention's 1/sqrt(head_dim) into the query projection (Whisper scales q and k by dh^-1/4 each)."""
    scale = np.float32(head_dim**-0.5)
    return weight * scale, bias * scale
