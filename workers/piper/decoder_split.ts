/**
 * Cuts a Piper (VITS) ONNX model in two at the input of its waveform decoder (HiFi-GAN, the `/dec/` nodes): an
 * encoder part (text encoder, duration predictor, flow: phoneme ids → latent frames [1, C, F]) and a decoder part
 * (latent frames → samples, `hop` samples per frame). The decoder is convolutional with a finite receptive field, so
 * it can run on a window of frames and give the same samples as the whole model (see `chunked_decoder.ts`): the
 * first audio of a sentence then costs the encoder plus a few frames of decoding instead of the whole sentence.
 *
 * The cut is made on the model's bytes at load time (no extra files, any Piper voice exported by piper's own
 * exporter); a model that does not have the expected shape is reported with the reason and runs whole.
 *
 * @module
 */
import {
  concatBytes,
  lengthDelimited,
  readFields,
  stringField,
  strings,
  varintField,
  type WireField,
} from "./protobuf_fields.ts";

/** The two parts, as ONNX model bytes, with the names of the tensors that join them. */
export interface DecoderSplit {
  encoder: Uint8Array;
  decoder: Uint8Array;
  /** The latent frames: the encoder's output and the decoder's input. */
  latent: string;
  /** The decoder's output (the model's output). */
  output: string;
}

/** The first node of the decoder in piper's exports. */
const DECODER_FIRST_NODE = "/dec/conv_pre/Conv";

// ModelProto.graph; GraphProto fields; NodeProto fields; TensorProto.name; ValueInfoProto.name; AttributeProto.g/graphs.
const MODEL_GRAPH = 7;
const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12, valueInfo: 13, sparseInitializer: 15 };
const NODE = { input: 1, output: 2, name: 3, attribute: 5 };
const TENSOR_NAME = 8;
const VALUE_INFO_NAME = 1;
const ATTRIBUTE_SUBGRAPHS = [6, 11];

interface Node {
  raw: Uint8Array;
  name: string;
  inputs: string[];
  outputs: string[];
  hasSubgraph: boolean;
}

function parseNode(field: WireField): Node {
  const fields = readFields(field.payload);
  return {
    raw: field.raw,
    name: strings(fields, NODE.name)[0] ?? "",
    inputs: strings(fields, NODE.input),
    outputs: strings(fields, NODE.output),
    hasSubgraph: fields.some((f) =>
      f.field === NODE.attribute && readFields(f.payload).some((a) => ATTRIBUTE_SUBGRAPHS.includes(a.field))
    ),
  };
}

const nameOf = (field: WireField, nameField: number) => strings(readFields(field.payload), nameField)[0] ?? "";

/** A float tensor value info of unknown shape, for a latent that the model's value_info does not describe. */
function floatValueInfo(name: string): Uint8Array {
  const tensorType = varintField(1, 1); // TypeProto.Tensor.elem_type = FLOAT
  const type = lengthDelimited(1, tensorType); // TypeProto.tensor_type
  return concatBytes([stringField(VALUE_INFO_NAME, name), lengthDelimited(2, type)]);
}

/**
 * Splits `model` at the decoder's input; returns the parts, or `{ problem }` saying why this model cannot be split
 * (then it runs whole).
 */
export function splitAtDecoder(model: Uint8Array): DecoderSplit | { problem: string } {
  let modelFields: WireField[];
  let graph: WireField[];
  try {
    modelFields = readFields(model);
    const graphField = modelFields.find((f) => f.field === MODEL_GRAPH && f.wire === 2);
    if (!graphField) return { problem: "the model has no graph" };
    graph = readFields(graphField.payload);
  } catch (error) {
    return { problem: `not a readable ONNX model: ${(error as Error).message}` };
  }
  const nodes = graph.filter((f) => f.field === GRAPH.node).map(parseNode);
  if (nodes.some((n) => n.hasSubgraph)) return { problem: "the graph has control-flow subgraphs" };
  if (graph.some((f) => f.field === GRAPH.sparseInitializer)) return { problem: "the graph has sparse initializers" };
  const initializers = new Map(
    graph.filter((f) => f.field === GRAPH.initializer).map((f) => [nameOf(f, TENSOR_NAME), f]),
  );
  const inputs = graph.filter((f) => f.field === GRAPH.input);
  const inputNames = new Set(inputs.map((f) => nameOf(f, VALUE_INFO_NAME)));
  const outputs = graph.filter((f) => f.field === GRAPH.output);
  if (outputs.length !== 1) return { problem: `the graph has ${outputs.length} outputs, not 1` };
  const output = nameOf(outputs[0], VALUE_INFO_NAME);
  const latent = nodes.find((n) => n.name === DECODER_FIRST_NODE)?.inputs[0];
  if (!latent) return { problem: `no ${DECODER_FIRST_NODE} node (not a piper VITS export)` };

  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((o) => producer.set(o, i)));

  /** Indexes of the nodes that compute `targets` from `sources`, and the graph inputs they reach otherwise. */
  const slice = (targets: string[], sources: Set<string>) => {
    const needed = new Set<number>();
    const reached = new Set<string>();
    const stack = [...targets];
    while (stack.length) {
      const name = stack.pop()!;
      if (!name || sources.has(name) || initializers.has(name)) continue;
      const at = producer.get(name);
      if (at === undefined) {
        reached.add(name);
        continue;
      }
      if (needed.has(at)) continue;
      needed.add(at);
      stack.push(...nodes[at].inputs);
    }
    return { needed: [...needed].sort((a, b) => a - b), reached };
  };
  const decoderPart = slice([output], new Set([latent]));
  if (decoderPart.reached.size) {
    return { problem: `the decoder also needs ${[...decoderPart.reached].join(", ")}, not only ${latent}` };
  }
  const encoderPart = slice([latent], inputNames);
  if (encoderPart.reached.size) return { problem: `unknown tensors ${[...encoderPart.reached].join(", ")}` };

  const latentInfo = graph.find((f) => f.field === GRAPH.valueInfo && nameOf(f, VALUE_INFO_NAME) === latent)?.payload ??
    floatValueInfo(latent);
  const graphName = graph.filter((f) => f.field === GRAPH.name).map((f) => f.raw);
  const build = (needed: number[], graphInputs: Uint8Array[], graphOutputs: Uint8Array[]) => {
    const kept = needed.map((i) => nodes[i]);
    const used = new Set(kept.flatMap((n) => n.inputs));
    const weights = [...initializers].filter(([name]) => used.has(name)).map(([, f]) => f.raw);
    const graphBytes = concatBytes([
      ...graphName,
      ...kept.map((n) => n.raw),
      ...weights,
      ...graphInputs,
      ...graphOutputs,
    ]);
    return concatBytes(
      modelFields.map((f) => f.field === MODEL_GRAPH ? lengthDelimited(MODEL_GRAPH, graphBytes) : f.raw),
    );
  };
  return {
    encoder: build(encoderPart.needed, inputs.map((f) => f.raw), [lengthDelimited(GRAPH.output, latentInfo)]),
    decoder: build(decoderPart.needed, [lengthDelimited(GRAPH.input, latentInfo)], [outputs[0].raw]),
    latent,
    output,
  };
}
