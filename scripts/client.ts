/**
 * `deno task client <user.wav> [--url ws://host:port] [--api-key KEY] [--out agent.wav] [--timeout s]`
 *
 * Plays a WAV file as user speech into an orchestrator over the WebSocket protocol, in real time (20 ms messages,
 * then trailing silence so the VAD can end the turn), keeps listening until `response.done` or the timeout, prints
 * every server event as one JSON line on stdout, and writes the agent's audio (48 kHz s16 WAV) to `--out`.
 * Exit code: 0 after a `response.done`, 1 on timeout, error or close, 2 on bad arguments.
 *
 * More options: `--rate 16000|48000` (the rate to send at; default: the file's when allowed, else 48000),
 * `--tail-ms N` (silence after the speech, default 1500), `--model ID`, `--language xx`, `--responder echo|llm`,
 * `--text "..."` (send typed text instead of audio). The key may also come from `ORCHESTRATOR_API_KEY`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { WIRE_SAMPLE_RATE } from "../shared/audio/format.ts";
import { float32ToInt16 } from "../shared/audio/pcm.ts";
import { StreamingResampler } from "../shared/audio/resampler.ts";
import { readWavFile, writeWav } from "../shared/audio/wav.ts";
import { VoiceWsClient } from "../shared/protocol/ws_client.ts";

const USAGE =
  "usage: deno task client <user.wav> [--url ws://host:port] [--api-key KEY] [--out agent.wav] [--timeout s]\n" +
  "       [--rate 16000|48000] [--tail-ms N] [--model ID] [--language xx] [--responder echo|llm] [--text TEXT]";

function fail(message: string, code = 2): never {
  console.error(message);
  Deno.exit(code);
}

const { values, positionals } = (() => {
  try {
    return parseArgs({
      args: Deno.args,
      allowPositionals: true,
      options: {
        url: { type: "string", default: "ws://127.0.0.1:8080" },
        "api-key": { type: "string" },
        out: { type: "string" },
        timeout: { type: "string", default: "30" },
        rate: { type: "string" },
        "tail-ms": { type: "string", default: "1500" },
        model: { type: "string" },
        language: { type: "string" },
        responder: { type: "string" },
        text: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`);
  }
})();

if (values.help) fail(USAGE, 0);
if (!values.text && positionals.length !== 1) fail(USAGE);
const timeoutS = Number(values.timeout);
const tailMs = Number(values["tail-ms"]);
if (!(timeoutS > 0)) fail(`--timeout must be a positive number of seconds, got ${values.timeout}`);
if (!(tailMs >= 0)) fail(`--tail-ms must be >= 0, got ${values["tail-ms"]}`);

/** The user audio as s16 at an allowed rate. */
async function loadSpeech(path: string): Promise<{ samples: Int16Array; rate: number }> {
  const wav = await readWavFile(path).catch((error) => fail(`cannot read ${path}: ${error.message}`, 1));
  const requested = values.rate
    ? Number(values.rate)
    : [16_000, 48_000].includes(wav.sampleRate)
    ? wav.sampleRate
    : 48_000;
  if (![16_000, 48_000].includes(requested)) fail(`--rate must be 16000 or 48000, got ${values.rate}`);
  let samples = wav.samples;
  if (wav.sampleRate !== requested) {
    const resampler = new StreamingResampler(wav.sampleRate, requested);
    const head = resampler.process(samples);
    const tail = resampler.flush();
    samples = new Float32Array(head.length + tail.length);
    samples.set(head);
    samples.set(tail, head.length);
  }
  const silence = new Float32Array(Math.round((tailMs * requested) / 1000));
  const all = new Float32Array(samples.length + silence.length);
  all.set(samples);
  return { samples: float32ToInt16(all), rate: requested };
}

const speech = values.text ? null : await loadSpeech(positionals[0]);
const apiKey = values["api-key"] ?? Deno.env.get("ORCHESTRATOR_API_KEY");
const client = await VoiceWsClient.connect(values.url, { credential: apiKey }).catch((error) =>
  fail(`cannot connect to ${values.url}: ${error.message}`, 1)
);
client.onEvent = (event) => {
  const { receivedAtMs: _, ...wire } = event;
  console.log(JSON.stringify(wire));
};

let exitCode = 1;
const deadline = setTimeout(() => {
  console.error(`timeout: no response.done within ${timeoutS} s`);
  client.close();
}, timeoutS * 1000);
try {
  await client.start({
    audio: { sampleRate: (speech?.rate ?? 16_000) as 16_000 | 48_000 },
    model: values.model,
    language: values.language,
    responder: values.responder as "echo" | "llm" | undefined,
  });
  if (speech) {
    // Stream in the background so that answers and errors print while the user is still "speaking".
    client.streamRealtime(speech.samples, speech.rate);
  } else {
    client.sendText(values.text!);
  }
  await client.waitFor((e) => e.type === "response.done" || (e.type === "error" && e.fatal), timeoutS * 1000);
  const last = client.events.at(-1);
  exitCode = client.ofType("response.done").length > 0 ? 0 : 1;
  if (last?.type === "error") console.error(`error: ${last.code}: ${last.message}`);
} catch (error) {
  console.error((error as Error).message);
} finally {
  clearTimeout(deadline);
  if (client.open) client.endSession();
  await Promise.race([client.closed, new Promise((r) => setTimeout(r, 2_000))]);
  await client.close();
}

if (values.out) {
  const pcm = new Uint8Array(client.frames.reduce((n, f) => n + f.pcm.byteLength, 0));
  let at = 0;
  for (const f of client.frames) {
    pcm.set(f.pcm, at);
    at += f.pcm.byteLength;
  }
  const samples = new Int16Array(pcm.buffer, 0, pcm.byteLength >> 1);
  await Deno.writeFile(values.out, writeWav({ sampleRate: WIRE_SAMPLE_RATE, samples }));
  console.error(`wrote ${(samples.length / WIRE_SAMPLE_RATE).toFixed(2)} s of agent audio to ${values.out}`);
}
Deno.exit(exitCode);
