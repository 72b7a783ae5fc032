/**
 * The hostile-input corpus of the WebSocket tests: each case is a connection that does one wrong thing, with the
 * error code and close code the server must answer with.
 *
 * @module
 */
import { CloseCode } from "../../../shared/protocol/limits.ts";
import { upgradeStatus } from "../../../harness/raw_upgrade.ts";
import { VoiceWsClient } from "../../../shared/protocol/ws_client.ts";

/** The key the corpus connections use (the server must accept it). */
export const KEY = "hostile-corpus-key";

/** One hostile connection. */
export interface HostileCase {
  name: string;
  credential?: string;
  carrier?: "header" | "query" | "subprotocol";
  /** The session.start sent first; null: none. */
  start?: Record<string, unknown> | null;
  attack: (client: VoiceWsClient) => void | Promise<void>;
  code: string;
  /** Expected close codes: a client that keeps flooding after the close may see the TCP reset (0/1006) instead. */
  close: number | number[];
  /** Refused before the upgrade with this HTTP status (no socket, no error event). */
  httpStatus?: number;
}

const started = { type: "session.start" };
const json = (value: unknown) => (c: VoiceWsClient) => c.sendJson(value);
const raw = (value: string | Uint8Array) => (c: VoiceWsClient) => c.sendRaw(value);
const P = CloseCode.policyViolation;

/** Every case; `tokens` holds bad tokens minted by the test (expired, foreign, forged, unsigned). */
export function corpus(tokens: Record<string, string>): HostileCase[] {
  const cases: HostileCase[] = [];
  const add = (c: Omit<HostileCase, "start"> & { start?: HostileCase["start"] }) =>
    cases.push({ start: started, ...c });

  // Missing or bad credentials: refused before any session.
  for (
    const [name, credential] of Object.entries({
      "no credential": "",
      "unknown key": "not-a-key",
      "key in the wrong case": KEY.toUpperCase(),
      "expired token": tokens.expired,
      "token signed with another secret": tokens.foreign,
      "token with a forged payload": tokens.forged,
      "token without signature": tokens.unsigned,
      "garbage token": "v1.!!!.???",
    })
  ) {
    add({ name: `auth: ${name}`, credential, start: null, attack: () => {}, code: "", close: 0, httpStatus: 401 });
  }

  for (const carrier of ["header", "query", "subprotocol"] as const) {
    for (const credential of ["wrong-key", "v1.e30.c2ln"]) {
      add({
        name: `auth via ${carrier}: ${credential}`,
        credential,
        carrier,
        start: null,
        attack: () => {},
        code: "",
        close: 0,
        httpStatus: 401,
      });
    }
  }

  // Messages before session.start.
  add({
    name: "audio before start",
    start: null,
    attack: raw(new Uint8Array(640)),
    code: "audio_before_start",
    close: P,
  });
  for (const type of ["text", "control"]) {
    const msg = type === "text" ? { type, text: "hi" } : { type, action: "stop" };
    add({ name: `${type} before start`, start: null, attack: json(msg), code: "bad_message", close: P });
  }

  // Not JSON, or not an object with a known type.
  for (const text of ["{", "}", "not json", "{'type': 'text'}", "\u0000\u0001", "[1,2", '{"type":"text",}', ""]) {
    add({ name: `bad JSON ${JSON.stringify(text)}`, attack: raw(text), code: "bad_json", close: P });
  }
  for (
    const value of [[], null, 42, "str", true, {}, { type: 5 }, { type: null }, { Type: "text" }, [{ type: "text" }]]
  ) {
    add({ name: `not a typed object ${JSON.stringify(value)}`, attack: json(value), code: "bad_message", close: P });
  }
  for (const type of ["nope", "Session.Start", "session.START", "text ", "audio", "__proto__", "constructor"]) {
    add({ name: `unknown type ${type}`, attack: json({ type }), code: "bad_message", close: P });
  }

  // session.start with wrong fields (sent as the first message).
  const badStarts: Record<string, unknown>[] = [
    { model: 5 },
    { model: "has spaces" },
    { model: "x".repeat(129) },
    { model: "../../etc/passwd" },
    { language: "english!!" },
    { language: 12 },
    { language: "x".repeat(17) },
    { responder: "gpt" },
    { responder: null },
    { audio: { sampleRate: 44_100 } },
    { audio: { sampleRate: 8_000 } },
    { audio: { sampleRate: "16000" } },
    { audio: { sampleRate: 16_000, encoding: "opus" } },
    { audio: { sampleRate: 16_000, extra: 1 } },
    { audio: 16_000 },
    { audio: null },
    { options: [1, 2] },
    { options: { speed: -1 } },
    { options: { speed: 100 } },
    { options: { speed: "fast" } },
    { options: { speakerId: 1.5 } },
    { options: { noiseScale: Number.MAX_VALUE } },
    { options: { unknown: true } },
    { voice: -1 },
    { voice: "alice" },
    { extra: "field" },
    { __proto__: { polluted: true }, model: 7 },
  ];
  for (const fields of badStarts) {
    add({
      name: `session.start ${JSON.stringify(fields)}`,
      start: null,
      attack: json({ type: "session.start", ...fields }),
      code: "bad_message",
      close: P,
    });
  }
  add({
    name: "session.start asking for an unsupported language",
    start: null,
    attack: json({ type: "session.start", language: "de" }),
    code: "bad_message",
    close: P,
  });
  add({
    name: "session.start asking for an unavailable responder",
    start: null,
    attack: json({ type: "session.start", responder: "llm" }),
    code: "bad_message",
    close: P,
  });

  // After start: wrong text, control and duplicate messages.
  add({ name: "empty text", attack: json({ type: "text", text: "" }), code: "bad_message", close: P });
  add({ name: "text is a number", attack: json({ type: "text", text: 5 }), code: "bad_message", close: P });
  add({ name: "text is an object", attack: json({ type: "text", text: { a: 1 } }), code: "bad_message", close: P });
  add({
    name: "text with an extra field",
    attack: json({ type: "text", text: "hi", x: 1 }),
    code: "bad_message",
    close: P,
  });
  add({
    name: "text too long",
    attack: json({ type: "text", text: "a".repeat(2_001) }),
    code: "text_too_long",
    close: P,
  });
  for (const action of ["explode", "PAUSE", "", null, 1]) {
    add({
      name: `control ${JSON.stringify(action)}`,
      attack: json({ type: "control", action }),
      code: "bad_message",
      close: P,
    });
  }
  add({
    name: "text of 2,001 emoji (UTF-16 units)",
    attack: json({ type: "text", text: "😀".repeat(1_001) }),
    code: "text_too_long",
    close: P,
  });
  add({ name: "type is an array", attack: json({ type: ["text"], text: "x" }), code: "bad_message", close: P });
  add({
    name: "control with an extra field",
    attack: json({ type: "control", action: "stop", why: 1 }),
    code: "bad_message",
    close: P,
  });
  add({ name: "control without action", attack: json({ type: "control" }), code: "bad_message", close: P });
  add({ name: "duplicate session.start", attack: json(started), code: "duplicate_start", close: P });
  add({
    name: "session.end with extra field",
    attack: json({ type: "session.end", now: true }),
    code: "bad_message",
    close: P,
  });

  // Audio of the wrong shape.
  for (const bytes of [1, 3, 5, 7, 321, 999, 1_919]) {
    add({ name: `audio of ${bytes} bytes (odd)`, attack: raw(new Uint8Array(bytes)), code: "bad_audio", close: P });
  }
  add({ name: "empty audio message", attack: raw(new Uint8Array(0)), code: "bad_audio", close: P });
  for (const bytes of [3_202, 9_600, 65_536, 1 << 20]) {
    add({
      name: `audio of ${bytes} bytes at 16 kHz (over 100 ms)`,
      attack: raw(new Uint8Array(bytes)),
      code: "bad_audio",
      close: 1009,
    });
  }
  add({
    name: "audio over 100 ms at 48 kHz",
    start: { type: "session.start", audio: { sampleRate: 48_000 } },
    attack: raw(new Uint8Array(9_602)),
    code: "bad_audio",
    close: 1009,
  });

  // Oversized JSON.
  for (const size of [16_385, 100_000, 1 << 20]) {
    add({
      name: `JSON message of ${size} bytes`,
      attack: json({ type: "text", text: "a".repeat(size) }),
      code: "message_too_big",
      close: 1009,
    });
  }
  add({
    name: "deeply nested JSON",
    attack: raw("[".repeat(5_000) + "]".repeat(5_000)),
    code: "bad_message",
    close: P,
  });

  // Floods.
  add({
    name: "flood of JSON messages",
    attack: (c) => {
      for (let i = 0; i < 200; i++) c.sendControl("pause");
    },
    code: "flood",
    close: [P, 0, 1006],
  });
  add({
    name: "audio far faster than real time",
    attack: (c) => {
      for (let i = 0; i < 400; i++) c.sendAudio(new Int16Array(320)); // 8 s of audio at once
    },
    code: "flood",
    close: [P, 0, 1006],
  });
  add({ name: "start timeout", start: null, attack: () => {}, code: "start_timeout", close: 4008 });
  return cases;
}

/** Runs one case against `url`; returns what went wrong (empty when the server answered as required). */
export async function runHostileCase(url: string, c: HostileCase, key = KEY): Promise<string[]> {
  const failures: string[] = [];
  if (c.httpStatus !== undefined) {
    const credential = c.credential ?? key;
    const headers: Record<string, string> = {};
    let target = url;
    if (credential && c.carrier === "query") target = `${url}/?token=${encodeURIComponent(credential)}`;
    else if (credential && c.carrier === "subprotocol") {
      headers["sec-websocket-protocol"] = `voice.v1, auth.${credential}`;
    } else if (credential) headers.authorization = `Bearer ${credential}`;
    const status = await upgradeStatus(target, headers);
    if (status !== c.httpStatus) {
      failures.push(`${c.name}: HTTP ${status}, expected ${c.httpStatus} before the upgrade`);
    }
    return failures;
  }
  const client = await VoiceWsClient.connect(url, {
    credential: c.credential ?? key,
    // Browsers send credentials as a subprotocol; only token characters can travel that way.
    carrier: c.carrier ?? (/^[A-Za-z0-9._~-]+$/.test(c.credential ?? "") ? "subprotocol" : "header"),
  });
  if (c.start) await client.start(c.start as Record<string, never>);
  await c.attack(client);
  const closed = await Promise.race([client.closed, new Promise<null>((r) => setTimeout(() => r(null), 5_000))]);
  const error = client.ofType("error")[0];
  if (!closed) failures.push(`${c.name}: still open`);
  else if (![c.close].flat().includes(closed.code)) {
    failures.push(`${c.name}: close ${closed.code}, expected ${c.close}`);
  }
  if (!error) failures.push(`${c.name}: no error event`);
  else if (error.code !== c.code) {
    failures.push(`${c.name}: error ${error.code} (${error.message}), expected ${c.code}`);
  } else if (!error.message) failures.push(`${c.name}: error without message`);
  if (client.invalid.length) failures.push(`${c.name}: invalid server message ${client.invalid[0]}`);
  if (!closed) await client.close();
  return failures;
}
