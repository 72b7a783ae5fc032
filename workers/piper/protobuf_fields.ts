/**
 * Just enough of the protobuf wire format to cut an ONNX model into parts without a schema: a message is read as its
 * list of fields (number, wire type, raw bytes), fields are filtered or re-numbered, and the parts are written back
 * byte for byte. Nothing is decoded that is not needed, so a 60 MB model costs no copies until it is written.
 *
 * @module
 */

/** One field of a message: its number, wire type and the raw bytes of the whole field (tag included). */
export interface WireField {
  field: number;
  wire: number;
  /** The whole field as it appears in the message (tag, length, payload). */
  raw: Uint8Array;
  /** The payload of a length-delimited field (wire type 2); empty for the others. */
  payload: Uint8Array;
}

function readVarint(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let i = at; i < bytes.length && i < at + 10; i++) {
    const byte = bytes[i];
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if (byte < 0x80) return { value, next: i + 1 };
  }
  throw new RangeError(`malformed protobuf: a varint at byte ${at} does not end`);
}

/** The fields of one message, in order; throws `RangeError` naming the byte where the encoding is broken. */
export function readFields(bytes: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let at = 0;
  while (at < bytes.length) {
    const start = at;
    const tag = readVarint(bytes, at);
    at = tag.next;
    const field = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    let payload = bytes.subarray(0, 0);
    if (wire === 0) at = readVarint(bytes, at).next;
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const length = readVarint(bytes, at);
      at = length.next + length.value;
      payload = bytes.subarray(length.next, at);
    } else throw new RangeError(`malformed protobuf: wire type ${wire} at byte ${start}`);
    if (at > bytes.length || field === 0) throw new RangeError(`malformed protobuf: field at byte ${start} is cut`);
    fields.push({ field, wire, raw: bytes.subarray(start, at), payload });
  }
  return fields;
}

function varint(value: number): number[] {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

/** A length-delimited field `field` holding `payload` (raw bytes). */
export function lengthDelimited(field: number, payload: Uint8Array): Uint8Array {
  const head = [...varint(field * 8 + 2), ...varint(payload.length)];
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

/** A string field. */
export function stringField(field: number, value: string): Uint8Array {
  return lengthDelimited(field, new TextEncoder().encode(value));
}

/** A varint field. */
export function varintField(field: number, value: number): Uint8Array {
  return Uint8Array.from([...varint(field * 8), ...varint(value)]);
}

/** The concatenation of encoded fields: one message. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The UTF-8 strings of every field `field` (repeated string fields such as a node's inputs). */
export function strings(fields: readonly WireField[], field: number): string[] {
  const decoder = new TextDecoder();
  return fields.filter((f) => f.field === field && f.wire === 2).map((f) => decoder.decode(f.payload));
}
