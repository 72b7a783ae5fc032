/**
 * Secret comparison that takes the same time whether the guess shares a prefix with the secret or not.
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";

/** True when two equal-length strings are equal; examines every character whatever the outcome. */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * True when `given` equals `secret`. Both are hashed first, so the comparison is over equal-length digests and
 * neither the secret's length nor a matching prefix shows in the timing.
 */
export function secretMatches(given: string, secret: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(secret).digest();
  return timingSafeEqual(a, b);
}
