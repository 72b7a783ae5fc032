/**
 * Splitting of a data packet too large for LiveKit (its SFU drops reliable packets above about 15 KiB) into parts
 * that travel on their own topic and are put back together on arrival. The parts go on the same reliable channel as
 * every other packet, so they arrive in order with the packets around them; LiveKit's text streams would also carry
 * the bytes, but their readers finish asynchronously, after packets sent later may already have been handled.
 *
 * A part is an ASCII header `<message id> <part index> <part count>\n` followed by a slice of the payload's bytes.
 * This module has no dependencies: the browser client bundles it as is.
 *
 * @module
 */

/** Topic of the parts of an oversized server event. */
export const PARTS_TOPIC = "voice.events.part";

/** Room left in a packet for the header. */
const HEADER_ROOM = 32;

/** Splits `payload` into parts of at most `maxPacketBytes` each (header included), numbered for message `id`. */
export function splitIntoParts(id: number, payload: Uint8Array, maxPacketBytes: number): Uint8Array[] {
  if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`message id must be a non-negative integer, got ${id}`);
  if (maxPacketBytes <= HEADER_ROOM) throw new RangeError(`maxPacketBytes must exceed ${HEADER_ROOM}`);
  const size = maxPacketBytes - HEADER_ROOM;
  const count = Math.max(1, Math.ceil(payload.byteLength / size));
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (let index = 0; index < count; index++) {
    const header = encoder.encode(`${id} ${index} ${count}\n`);
    const body = payload.subarray(index * size, (index + 1) * size);
    const part = new Uint8Array(header.byteLength + body.byteLength);
    part.set(header);
    part.set(body, header.byteLength);
    parts.push(part);
  }
  return parts;
}

/** Puts the parts of one message at a time back together. */
export class PartAssembler {
  readonly #maxMessageBytes: number;
  #id = -1;
  #count = 0;
  #parts: Uint8Array[] = [];
  #bytes = 0;

  /** @param maxMessageBytes Largest message accepted; a bigger one is refused part by part. */
  constructor(maxMessageBytes = 4 * 1024 * 1024) {
    this.#maxMessageBytes = maxMessageBytes;
  }

  /**
   * Takes the next part; returns the whole message when this was its last part, null while parts are missing.
   * Throws an Error naming the problem for a part that is malformed or out of order (the message is then dropped).
   */
  accept(part: Uint8Array): Uint8Array | null {
    const newline = part.indexOf(0x0a);
    const header = newline > 0 && newline <= 40 ? new TextDecoder().decode(part.subarray(0, newline)) : "";
    const m = /^(\d{1,15}) (\d{1,9}) (\d{1,9})$/.exec(header);
    if (!m) throw this.#drop("a message part has no valid header (`<id> <index> <count>`)");
    const [id, index, count] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (count < 1 || index >= count) throw this.#drop(`message part ${index} of ${count} is out of range`);
    if (index === 0) this.#start(id, count);
    else if (id !== this.#id || index !== this.#parts.length || count !== this.#count) {
      throw this.#drop(`message part ${id}/${index} arrived out of order`);
    }
    const body = part.subarray(newline + 1);
    this.#bytes += body.byteLength;
    if (this.#bytes > this.#maxMessageBytes) {
      throw this.#drop(`a message in parts exceeds ${this.#maxMessageBytes} bytes`);
    }
    this.#parts.push(body);
    if (this.#parts.length < this.#count) return null;
    const whole = new Uint8Array(this.#bytes);
    let offset = 0;
    for (const piece of this.#parts) {
      whole.set(piece, offset);
      offset += piece.byteLength;
    }
    this.#start(-1, 0);
    return whole;
  }

  #start(id: number, count: number): void {
    this.#id = id;
    this.#count = count;
    this.#parts = [];
    this.#bytes = 0;
  }

  #drop(message: string): Error {
    this.#start(-1, 0);
    return new Error(message);
  }
}
