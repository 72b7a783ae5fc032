/**
 * IP address ranges in CIDR notation (`10.0.0.0/8`, `::1/128`, or a bare address), as `TRUSTED_PROXIES` lists them.
 *
 * @module
 */

/** A parsed range. */
export interface AddressRange {
  /** The address as 16 bytes (IPv4 mapped into `::ffff:0:0/96`). */
  bytes: Uint8Array;
  /** Prefix length over the 16 bytes. */
  prefix: number;
}

/** Parses an IPv4 or IPv6 address (brackets and an IPv4-mapped form accepted) into 16 bytes; null when malformed. */
export function parseAddress(raw: string): Uint8Array | null {
  const text = raw.trim().replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const v4 = parseV4(text);
  if (v4) return mapped(v4);
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(":")) return null;
  let head = text;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  const dotted = text.slice(lastColon + 1);
  if (dotted.includes(".")) {
    const four = parseV4(dotted);
    if (!four) return null;
    head = text.slice(0, lastColon + 1) + "0:0";
    tail = four;
  }
  const halves = head.split("::");
  if (halves.length > 2) return null;
  const group = (part: string) => (part ? part.split(":") : []);
  const left = group(halves[0]);
  const right = halves.length === 2 ? group(halves[1]) : [];
  const fill = 8 - left.length - right.length;
  if (halves.length === 1 ? left.length !== 8 : fill < 1) return null;
  const groups = [...left, ...Array(halves.length === 2 ? fill : 0).fill("0"), ...right];
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(groups[i])) return null;
    const value = parseInt(groups[i], 16);
    bytes[2 * i] = value >> 8;
    bytes[2 * i + 1] = value & 0xff;
  }
  if (tail.length) bytes.set(tail, 12);
  return bytes;
}

function parseV4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.map(Number);
}

function mapped(v4: number[]): Uint8Array {
  const bytes = new Uint8Array(16);
  bytes[10] = 0xff;
  bytes[11] = 0xff;
  bytes.set(v4, 12);
  return bytes;
}

/** Parses `addr` or `addr/prefix`; null when malformed. */
export function parseRange(raw: string): AddressRange | null {
  const [address, prefixText, extra] = raw.trim().split("/");
  if (extra !== undefined) return null;
  const bytes = parseAddress(address);
  if (!bytes) return null;
  const isV4 = parseV4(address.trim()) !== null;
  const max = isV4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return null;
  return { bytes, prefix: isV4 ? prefix + 96 : prefix };
}

/** True when `address` lies in `range`. */
export function inRange(address: Uint8Array, range: AddressRange): boolean {
  let bits = range.prefix;
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((address[i] & mask) !== (range.bytes[i] & mask)) return false;
  }
  return true;
}

/** True when the address text lies in any of the ranges (false for malformed text). */
export function inAnyRange(address: string, ranges: readonly AddressRange[]): boolean {
  const bytes = parseAddress(address);
  return bytes !== null && ranges.some((range) => inRange(bytes, range));
}
