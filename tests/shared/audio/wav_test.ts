import assert from "node:assert/strict";
import { readWav, readWavFile, WavFormatError, writeWav } from "../../../shared/audio/mod.ts";
import { sine } from "./signals.ts";

/** A WAV byte array assembled from raw chunks, for malformed-file cases. */
function riff(type: string, chunks: [string, Uint8Array][], riffId = "RIFF"): Uint8Array {
  const parts: number[] = [];
  const text = (s: string) => [...s].forEach((c) => parts.push(c.charCodeAt(0)));
  const u32 = (n: number) => parts.push(n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255);
  for (const [id, body] of chunks) {
    text(id);
    u32(body.length);
    parts.push(...body);
    if (body.length % 2) parts.push(0);
  }
  const head: number[] = [];
  [...riffId].forEach((c) => head.push(c.charCodeAt(0)));
  const size = parts.length + 4;
  head.push(size & 255, (size >> 8) & 255, (size >> 16) & 255, size >>> 24);
  [...type].forEach((c) => head.push(c.charCodeAt(0)));
  return new Uint8Array([...head, ...parts]);
}

function fmt(code: number, channels: number, rate: number, bits: number, align = channels * bits / 8): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint16(0, code, true);
  v.setUint16(2, channels, true);
  v.setUint32(4, rate, true);
  v.setUint32(8, rate * align, true);
  v.setUint16(12, align, true);
  v.setUint16(14, bits, true);
  return b;
}

Deno.test("PCM16 mono round trip is exact", () => {
  const samples = new Int16Array([0, 1, -1, 32767, -32768, 1234]);
  const wav = readWav(writeWav({ sampleRate: 22050, samples }));
  assert.equal(wav.sampleRate, 22050);
  assert.equal(wav.channels, 1);
  assert.equal(wav.format, "pcm16");
  assert.deepEqual(Int16Array.from(wav.samples, (v) => Math.round(v * 32768)), samples);
});

Deno.test("float32 round trip is exact", () => {
  const samples = sine(440, 48000, 480, 0.8);
  const wav = readWav(writeWav({ sampleRate: 48000, samples }));
  assert.equal(wav.format, "float32");
  assert.deepEqual(wav.samples, samples);
});

Deno.test("stereo is downmixed to mono on read", () => {
  const wav = readWav(
    writeWav({ sampleRate: 16000, channels: 2, samples: new Int16Array([16384, 0, -16384, -16384]) }),
  );
  assert.equal(wav.channels, 2);
  assert.deepEqual([...wav.samples], [0.25, -0.5]);
});

/** Writes a 0.1 s 440 Hz sine at half scale with sox, using the given sox format arguments. */
async function soxSine(path: string, formatArgs: string[]): Promise<void> {
  const sox = await new Deno.Command("sox", {
    args: ["-n", "-r", "22050", ...formatArgs, path, "synth", "0.1", "sine", "440", "vol", "0.5"],
    stderr: "piped",
  }).output().catch(() => {
    throw new Error("sox is missing: run `deno task setup` (it installs the Debian package sox)");
  });
  assert.equal(sox.code, 0, new TextDecoder().decode(sox.stderr));
}

const SOX_CASES: [string, string[], number, string][] = [
  ["stereo PCM16", ["-c", "2", "-b", "16"], 2, "pcm16"],
  ["4-channel PCM16 (WAVE_FORMAT_EXTENSIBLE + fact chunk)", ["-c", "4", "-b", "16"], 4, "pcm16"],
  ["mono float32 (18-byte fmt + fact chunk)", ["-c", "1", "-e", "floating-point", "-b", "32"], 1, "float32"],
];

for (const [what, args, channels, format] of SOX_CASES) {
  Deno.test(`a WAV written by sox is read correctly: ${what}`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      const path = `${dir}/sox.wav`;
      await soxSine(path, args);
      const wav = await readWavFile(path);
      assert.deepEqual([wav.sampleRate, wav.channels, wav.format, wav.samples.length], [22050, channels, format, 2205]);
      const ideal = sine(440, 22050, 2205, 0.5);
      const worst = wav.samples.reduce((m, v, n) => Math.max(m, Math.abs(v - ideal[n])), 0);
      assert.ok(worst < 0.01, `largest deviation from the ideal sine: ${worst}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("chunks before data are skipped, including odd-sized ones with padding", () => {
  const data = new Uint8Array([0x10, 0x00, 0xf0, 0xff]);
  const wav = readWav(riff("WAVE", [["fmt ", fmt(1, 1, 8000, 16)], ["LIST", new Uint8Array(3)], ["data", data]]));
  assert.deepEqual(Array.from(wav.samples, (v) => v * 32768), [16, -16]);
});

Deno.test("a data size left at 0xFFFFFFFF by a streaming writer means 'to the end of the file'", () => {
  const bytes = riff("WAVE", [["fmt ", fmt(1, 1, 8000, 16)], ["data", new Uint8Array([1, 0, 2, 0])]]);
  new DataView(bytes.buffer).setUint32(40, 0xffffffff, true);
  assert.equal(readWav(bytes).samples.length, 2);
});

const BAD_FILES: [string, Uint8Array, RegExp][] = [
  ["too short", new Uint8Array(5), /too short for a RIFF header/],
  [
    "not RIFF",
    new TextEncoder().encode("ID3\x04\x00\x00\x00\x00\x00\x00\x00\x00"),
    /not a RIFF file: starts with "ID3/,
  ],
  ["RIFX", riff("WAVE", [], "RIFX"), /big-endian RIFX/],
  ["not WAVE", riff("AVI ", []), /RIFF type is "AVI ", not "WAVE"/],
  ["no fmt", riff("WAVE", [["data", new Uint8Array(4)]]), /data chunk comes before the "fmt " chunk/],
  ["no chunks", riff("WAVE", []), /no "fmt " chunk/],
  ["no data", riff("WAVE", [["fmt ", fmt(1, 1, 8000, 16)]]), /no data chunk/],
  ["8-bit", riff("WAVE", [["fmt ", fmt(1, 1, 8000, 8)], ["data", new Uint8Array(2)]]), /format code 1 with 8 bits/],
  ["ADPCM", riff("WAVE", [["fmt ", fmt(2, 1, 8000, 4, 256)], ["data", new Uint8Array(2)]]), /format code 2/],
  ["0 channels", riff("WAVE", [["fmt ", fmt(1, 0, 8000, 16, 2)]]), /0 channels/],
  ["0 Hz", riff("WAVE", [["fmt ", fmt(1, 1, 0, 16)]]), /sample rate 0 Hz/],
  ["bad align", riff("WAVE", [["fmt ", fmt(1, 2, 8000, 16, 2)]]), /block align is 2; 2 channel\(s\) of 16 bits need 4/],
  ["short fmt", riff("WAVE", [["fmt ", new Uint8Array(10)]]), /fmt chunk is 10 bytes/],
  [
    "partial frame",
    riff("WAVE", [["fmt ", fmt(1, 2, 8000, 16)], ["data", new Uint8Array(6)]]),
    /not a whole number of 4-byte frames/,
  ],
];

for (const [what, bytes, message] of BAD_FILES) {
  Deno.test(`a bad WAV header is refused with a clear reason: ${what}`, () => {
    assert.throws(() => readWav(bytes), (e: unknown) => e instanceof WavFormatError && message.test(e.message));
  });
}

Deno.test("a truncated data chunk is refused, naming the sizes", () => {
  const bytes = riff("WAVE", [["fmt ", fmt(1, 1, 8000, 16)], ["data", new Uint8Array(8)]]);
  const cut = bytes.subarray(0, bytes.length - 4);
  assert.throws(() => readWav(cut), /data chunk claims 8 bytes but only 4 remain \(truncated file\?\)/);
});

Deno.test("writeWav refuses samples that do not split into the channels", () => {
  assert.throws(() => writeWav({ sampleRate: 8000, channels: 2, samples: new Int16Array(3) }), /2 channel/);
  assert.throws(() => writeWav({ sampleRate: 0, samples: new Int16Array(3) }), /bad sample rate/);
});
