/**
 * The hostile corpus beyond the WebSocket transport's own: malformed or abusive inputs for the HTTP endpoint, the
 * worker's gRPC service, the Redis registry, the WebSocket (bytes and timing) and the configuration. Each case says
 * what a correct system answers; none may crash a service or be answered as an internal error.
 *
 * @module
 */

/** One HTTP request and the statuses that are a correct answer. */
export interface HttpCase {
  name: string;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  ok: number[];
}

const JSON_TYPE = { "content-type": "application/json" };

/** Requests to the public port (connection details, static files, odd methods and paths). */
export function httpCases(key: string): HttpCase[] {
  const cases: HttpCase[] = [];
  const cd = "/api/connection-details";
  const auth = [401];
  for (const method of ["GET", "PUT", "DELETE", "PATCH", "FOO", "HEAD"]) {
    cases.push({ name: `${method} connection-details`, method, path: cd, ok: [400, 405, 501] });
  }
  for (
    const [name, headers] of Object.entries({
      "no key": {},
      "wrong key": { "x-api-key": "nope" },
      "empty bearer": { authorization: "Bearer " },
      "basic auth": { authorization: `Basic ${btoa(`user:${key}`)}` },
      "key as query only": {},
      "huge key": { "x-api-key": "k".repeat(6000) },
      "forged token": { authorization: "Bearer v1.eyJzdWIiOiJhZG1pbiJ9.AAAA" },
      "unsigned token": { authorization: "Bearer v1.eyJzdWIiOiJhZG1pbiIsImV4cCI6OTk5OTk5OTk5OX0" },
      "control characters key": { "x-api-key": "a\tb c" },
      "forged same origin": { origin: "http://127.0.0.1:1", host: "127.0.0.1:1" },
      "forged host and origin": { origin: "http://evil.example", host: "evil.example" },
      "forwarded host": { origin: "https://evil.example", "x-forwarded-host": "evil.example" },
      "null origin": { origin: "null" },
      "file origin": { origin: "file://" },
      "javascript origin": { origin: "javascript:alert(1)" },
      "very long origin": { origin: `https://${"a".repeat(3000)}.example` },
      "spoofed forwarded for": { "x-forwarded-for": "10.0.0.1, 8.8.8.8" },
    })
  ) {
    cases.push({
      name: `auth: ${name}`,
      path: name === "key as query only" ? `${cd}?api_key=${key}` : cd,
      method: "POST",
      headers: headers as Record<string, string>,
      ok: [...auth, 403, 400, 431],
    });
  }
  const keyed = { "x-api-key": key };
  const bodies: Record<string, [string | Uint8Array, Record<string, string>, number[]]> = {
    "not json": ["{oops", JSON_TYPE, [400]],
    "json array": ["[]", JSON_TYPE, [400]],
    "json string": ['"x"', JSON_TYPE, [400]],
    "json null": ["null", JSON_TYPE, [400]],
    "json number": ["42", JSON_TYPE, [400]],
    "unknown field": ['{"admin":true}', JSON_TYPE, [400]],
    "bad language": ['{"language":"e n"}', JSON_TYPE, [400]],
    "path model": ['{"model":"../../etc/passwd"}', JSON_TYPE, [400]],
    "long model": [`{"model":"${"m".repeat(3000)}"}`, JSON_TYPE, [400]],
    "nested deep": [`${"[".repeat(1000)}${"]".repeat(1000)}`, JSON_TYPE, [400]],
    "huge body": ["x".repeat(100_000), JSON_TYPE, [413]],
    "text/plain": ["{}", { "content-type": "text/plain" }, [415]],
    "no content type": ["{}", {}, [415]],
    "form": ["a=b", { "content-type": "application/x-www-form-urlencoded" }, [415]],
    "binary": [new Uint8Array([0, 255, 254, 1, 2]), JSON_TYPE, [400]],
    "bad utf8": [new Uint8Array([0x7b, 0xc3, 0x28, 0x7d]), JSON_TYPE, [400]],
    "proto pollution": ['{"__proto__":{"admin":true}}', JSON_TYPE, [400]],
    "constructor key": ['{"constructor":{"prototype":{}}}', JSON_TYPE, [400]],
    "bad options": ['{"options":{"speed":"fast"}}', JSON_TYPE, [400]],
    "negative speed": ['{"options":{"speed":-1}}', JSON_TYPE, [400]],
    "nan speed": ['{"options":{"speed":1e999}}', JSON_TYPE, [400]],
    "bad responder": ['{"responder":"shell"}', JSON_TYPE, [400, 200]],
    "duplicate keys": ['{"language":"en","language":"x y"}', JSON_TYPE, [400]],
  };
  for (const [name, [body, headers, ok]] of Object.entries(bodies)) {
    cases.push({ name: `body: ${name}`, method: "POST", path: cd, headers: { ...keyed, ...headers }, body, ok });
  }
  for (
    const path of [
      "/../../etc/passwd",
      "/%2e%2e/%2e%2e/etc/passwd",
      "/.env",
      "/.git/config",
      "/index.html%00.js",
      "/a\\b",
      `/${"x".repeat(5000)}`,
      "/api/",
      "/api/connection-details/extra",
      "/metrics",
      "/health",
      "/debug/pprof",
      "/admin",
      "//evil.example/",
    ]
  ) {
    cases.push({ name: `path ${path.slice(0, 40)}`, path, ok: [200, 400, 404, 405, 414] });
  }
  for (const method of ["DELETE", "PUT", "OPTIONS", "POST"]) {
    cases.push({ name: `${method} /`, method, path: "/", ok: [204, 400, 405, 501] });
  }
  return cases;
}

/** Raw Redis values planted in the registry (name → stored value; null: an index entry without a record). */
export function registryCases(validRecord: (name: string) => Record<string, unknown>): Array<[string, string | null]> {
  const good = (name: string) => validRecord(name);
  const out: Array<[string, string | null]> = [
    ["not-json", "{oops"],
    ["empty", ""],
    ["array", "[]"],
    ["number", "1"],
    ["null-json", "null"],
    ["string-json", '"record"'],
    ["no-record", null],
    ["huge", "x".repeat(40_000)],
    ["huge-json", JSON.stringify({ ...good("huge-json"), pad: "y".repeat(20_000) })],
    ["wrong-name", JSON.stringify(good("someone-else"))],
    ["unsigned-evil", JSON.stringify({ ...good("unsigned-evil"), address: "10.0.0.66:7002" })],
    ["bad-address", JSON.stringify({ ...good("bad-address"), address: "no port" })],
    ["long-address", JSON.stringify({ ...good("long-address"), address: `${"h".repeat(400)}:1` })],
    [
      "neg-load",
      JSON.stringify({ ...good("neg-load"), load: { activeSessions: -1, maxSessions: 1, queueDepth: 0, rtf: 0 } }),
    ],
    ["many-models", JSON.stringify({ ...good("many-models"), availableModels: Array(5000).fill("mock-440hz") })],
    ["long-model", JSON.stringify({ ...good("long-model"), defaultModel: "m".repeat(500) })],
    [
      "many-languages",
      JSON.stringify({
        ...good("many-languages"),
        capabilities: { ...good("x").capabilities as object, languages: Array(1000).fill("en") },
      }),
    ],
    ["missing-load", JSON.stringify({ ...good("missing-load"), load: undefined })],
    ["string-numbers", JSON.stringify({ ...good("string-numbers"), startedAt: "now" })],
    ["bad-sig", JSON.stringify({ ...good("bad-sig"), sig: "0".repeat(64) })],
    ["short-sig", JSON.stringify({ ...good("short-sig"), sig: "abc" })],
    ["proto", '{"__proto__":{"polluted":true},"name":"proto"}'],
    ["deep", `${"[".repeat(5000)}${"]".repeat(5000)}`],
    ["bom", `\uFEFF${JSON.stringify(good("bom"))}`],
    ["nul", `${JSON.stringify(good("nul")).slice(0, -1)},"x":"\u0000"}`],
  ];
  for (let i = 0; i < 25; i++) out.push([`filler-${i}`, JSON.stringify({ name: `filler-${i}`, junk: i })]);
  out.push([`name-${"n".repeat(300)}`, JSON.stringify(good("x"))]);
  return out;
}

/** Environment variables with values every service must refuse with a message naming the variable. */
export function configCases(): Array<[string, string]> {
  return [
    ["ORCHESTRATOR_WS_PORT", "0"],
    ["ORCHESTRATOR_WS_PORT", "70000"],
    ["ORCHESTRATOR_WS_PORT", "80a"],
    ["ORCHESTRATOR_WS_PORT", "-1"],
    ["ORCHESTRATOR_HOST", "http://0.0.0.0"],
    ["ORCHESTRATOR_HOST", "0.0.0.0:8080"],
    ["ORCHESTRATOR_HOST", "a b"],
    ["ORCHESTRATOR_MAX_SESSIONS_PER_KEY", "0"],
    ["ORCHESTRATOR_MAX_SESSIONS_PER_KEY", "1e9"],
    ["ORCHESTRATOR_TOKEN_SECRET", "short"],
    ["ORCHESTRATOR_TOKEN_SECRET_ACCEPT", "short"],
    ["ASR_ENGINE", "vosk"],
    ["ASR_DEVICE", "tpu"],
    ["ASR_MODEL_SIZE", "huge"],
    ["ASR_LANGUAGE", "english"],
    ["ASR_COMPUTE_TYPE", "int8"],
    ["ASR_COMPUTE_TYPE", "float16"],
    ["ASR_PARTIAL_INTERVAL_MS", "1"],
    ["VAD_THRESHOLD", "2"],
    ["VAD_THRESHOLD", "-0.1"],
    ["VAD_THRESHOLD", "nan"],
    ["VAD_MIN_SPEECH_MS", "-5"],
    ["RESPONDER", "shell"],
    ["LLM_BASE_URL", "file:///etc/passwd"],
    ["LLM_BASE_URL", "not a url"],
    ["LLM_MAX_TOKENS", "0"],
    ["LLM_MAX_TOKENS", "1000000"],
    ["LLM_TURNS_PER_MINUTE", "0"],
    ["ROUTING_POLICY", "random"],
    ["TTS_WORKER_ADDRESS", "127.0.0.1"],
    ["TTS_WORKER_ADDRESS", "http://w:7002"],
    ["DEFAULT_MODEL", "../etc"],
    ["DEFAULT_MODEL", "a/b"],
    ["DEFAULT_MODEL", "unknown-prefix"],
    ["PACER_LEAD_MS", "99999"],
    ["LIVEKIT_URL", "ftp://lk"],
    ["LIVEKIT_PUBLIC_URL", "http://lk"],
    ["WEB_ALLOWED_ORIGINS", "evil.example"],
    ["PUBLIC_ORIGIN", "https://a.example/path"],
    ["WEB_PUBLIC", "maybe"],
    ["TRUSTED_PROXIES", "everyone"],
    ["TRUSTED_PROXIES", "10.0.0.0/33"],
    ["TRUSTED_PROXIES", "::1/200"],
    ["REDIS_URL", "http://redis:6379"],
    ["REDIS_URL", "redis://"],
    ["LOG_LEVEL", "trace"],
    ["LOG_FORMAT", "xml"],
    ["DEBUG", "verbose"],
    ["ALLOW_INSECURE_DEV", "please"],
    ["STRICT_CONFIG", "2"],
    ["TRANSCRIPT_LOG", "always"],
    ["FALSE_INTERRUPTION_MS", "soon"],
  ];
}

/** Worker variables every worker must refuse. */
export function workerConfigCases(): Array<[string, string]> {
  return [
    ["WORKER_GRPC_PORT", "0"],
    ["WORKER_GRPC_PORT", "99999"],
    ["WORKER_GRPC_HOST", "tcp://0.0.0.0"],
    ["WORKER_NAME", "bad name!"],
    ["WORKER_NAME", "../x"],
    ["WORKER_ADVERTISE_ADDRESS", "0.0.0.0:7002"],
    ["WORKER_ADVERTISE_ADDRESS", "nohost"],
    ["ADAPTER_TYPE", "espeak"],
    ["DEFAULT_MODEL", "piper-../../etc"],
    ["PRELOAD_MODEL_IDS", "mock-440hz,../x"],
    ["MODEL_IDLE_TTL_MS", "-1"],
    ["MAX_RESIDENT_MODELS", "0"],
    ["MAX_PARALLEL_LOADS", "100"],
    ["WORKER_MAX_SESSIONS", "0"],
    ["WORKER_MAX_TEXT_CHARS", "0"],
    ["WORKER_MAX_STREAM_CHARS", "0"],
    ["WORKER_MAX_QUEUED_CHARS", "x"],
    ["WORKER_FIRST_CHUNK_TIMEOUT_MS", "5"],
    ["WORKER_SESSION_LEASE_MS", "10"],
    ["WORKER_SHUTDOWN_GRACE_MS", "later"],
    ["WORKER_HEARTBEAT_MS", "1"],
    ["WORKER_TTL_MS", "0"],
    ["WORKER_RPC_SECRET", "short"],
    ["PIPER_DEVICE", "tpu"],
    ["PIPER_INTRA_OP_THREADS", "0"],
    ["PIPER_VOICE_URL_TEMPLATE", "ftp://x/{ext}"],
    ["PIPER_VOICE_URL_TEMPLATE", "https://x/no-ext"],
  ];
}

/** Raw WebSocket messages, each sent on a fresh started session: the server answers with an error or a close. */
export function wsMessages(): Array<[string, string | Uint8Array]> {
  const out: Array<[string, string | Uint8Array]> = [
    ["empty text", ""],
    ["space", " "],
    ["not json", "{"],
    ["json number", "1"],
    ["json null", "null"],
    ["json array", "[]"],
    ["no type", "{}"],
    ["type number", '{"type":1}'],
    ["unknown type", '{"type":"exec"}'],
    ["second start", '{"type":"session.start"}'],
    ["text without text", '{"type":"text"}'],
    ["text number", '{"type":"text","text":5}'],
    ["text empty", '{"type":"text","text":""}'],
    ["text huge", JSON.stringify({ type: "text", text: "x".repeat(3000) })],
    ["message too big", JSON.stringify({ type: "text", text: "x".repeat(20_000) })],
    ["control unknown", '{"type":"control","action":"reboot"}'],
    ["extra field", '{"type":"text","text":"hi","admin":true}'],
    ["proto", '{"type":"text","text":"hi","__proto__":{"x":1}}'],
    ["deep json", `{"type":"text","text":${"[".repeat(3000)}${"]".repeat(3000)}}`],
    ["odd audio", new Uint8Array(3)],
    ["empty audio", new Uint8Array(0)],
    ["audio too long", new Uint8Array(48_000 * 2)],
  ];
  return out;
}
