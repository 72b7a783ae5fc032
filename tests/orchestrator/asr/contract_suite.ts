/**
 * The one contract suite every ASR engine passes. An engine's test file calls
 * `asrEngineContract("whisper-tiny.en", () => createWhisperEngine(...))`; each case loads its own engine and
 * disposes it, so a failure in one case cannot leak into the next.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type AsrEngine, AsrInputError, type Transcript } from "../../../orchestrator/asr/contract.ts";
import { whiteNoise } from "../../../harness/noise.ts";
import { chunked, silence, speak, type Voice } from "../../../harness/speech.ts";
import { normaliseWords, wordErrorRate } from "../../../harness/wer.ts";

/** Tunables of the suite for one engine. */
export interface AsrContractOptions {
  /** Highest word error rate accepted on the clean test sentences; default 0.25. */
  maxWer?: number;
  /** Voice of the test sentences; default `flite-rms` (every engine here understands it). */
  voice?: Voice;
}

const SENTENCES = [
  "Please turn off the lights in the kitchen when you leave.",
  "The weather will be sunny and warm for the rest of the week.",
];
/** Generous: engines run on a loaded two-core machine; this only catches hangs. */
const HANG_MS = 60_000;

/** Registers the contract cases for one engine. */
export function asrEngineContract(
  name: string,
  makeEngine: () => Promise<AsrEngine>,
  options: AsrContractOptions = {},
): void {
  const maxWer = options.maxWer ?? 0.25;
  const voice = options.voice ?? "flite-rms";
  const say = async (text: string) => (await speak({ text, voice, leadMs: 300, tailMs: 300 })).samples;
  const withEngine = (fn: (engine: AsrEngine) => Promise<void>) => async () => {
    const engine = await makeEngine();
    try {
      await fn(engine);
    } finally {
      await engine.dispose();
    }
  };
  const checkWer = (reference: string, got: Transcript) => {
    const wer = wordErrorRate(reference, got.text);
    assert.ok(wer <= maxWer, `WER ${wer.toFixed(2)} > ${maxWer}: "${reference}" → "${got.text}"`);
  };

  Deno.test(
    `${name}: transcribes real-voice sentences within WER ${maxWer}, with sane metadata`,
    withEngine(async (e) => {
      assert.ok(e.name.length > 0 && e.languages.length > 0, "an engine declares its name and languages");
      for (const text of SENTENCES) {
        const samples = await say(text);
        const got = await within(e.transcribe(samples), "transcribe");
        checkWer(text, got);
        assert.equal(got.isFinal, true);
        assert.ok(e.languages.includes(got.language), `language ${got.language} not in ${e.languages}`);
        assert.ok(got.confidence >= 0 && got.confidence <= 1, `confidence ${got.confidence}`);
        assert.ok(Math.abs(got.audioSeconds - samples.length / 16_000) < 0.05, `audioSeconds ${got.audioSeconds}`);
        assert.ok(Number.isFinite(got.computeMs) && got.computeMs >= 0, `computeMs ${got.computeMs}`);
      }
    }),
  );

  Deno.test(
    `${name}: partial transcripts arrive while audio is pushed, before the final`,
    withEngine(async (e) => {
      const samples = await say(SENTENCES[0]);
      const partials: Transcript[] = [];
      let finalDone = false;
      let partialAfterFinal = false;
      const utterance = e.startUtterance({
        onPartial: (p) => {
          partials.push(p);
          if (finalDone) partialAfterFinal = true;
        },
      });
      for (const chunk of chunked(samples, 1600)) {
        utterance.push(chunk);
        await delay(50); // about twice real time, so the engine's partial schedule gets turns
      }
      const deadline = Date.now() + HANG_MS;
      while (partials.length === 0 && Date.now() < deadline) await delay(50);
      assert.ok(partials.length > 0, "no partial transcript before finish()");
      const final = await within(utterance.finish(), "finish");
      finalDone = true;
      checkWer(SENTENCES[0], final);
      assert.equal(final.isFinal, true);
      for (const p of partials) {
        assert.equal(p.isFinal, false);
        assert.ok(p.audioSeconds <= samples.length / 16_000 + 0.01, `partial covers ${p.audioSeconds} s`);
      }
      assert.ok(partials.some((p) => p.text.trim().length > 0), "every partial was empty");
      await delay(300);
      assert.equal(partialAfterFinal, false, "a partial arrived after the final transcript");
    }),
  );

  Deno.test(
    `${name}: empty audio gives an empty final transcript or a clear AsrInputError`,
    withEngine(async (e) => {
      for (const attempt of [() => e.transcribe(new Float32Array(0)), () => e.startUtterance().finish()]) {
        try {
          const got = await within(attempt(), "empty utterance");
          assert.equal(got.text.trim(), "");
          assert.equal(got.isFinal, true);
        } catch (err) {
          assert.ok(err instanceof AsrInputError, `empty audio threw ${err} instead of an AsrInputError`);
          assert.match(err.message, /empty|no audio|samples/i);
        }
      }
    }),
  );

  Deno.test(
    `${name}: NaN, infinite, non-float and s16-scaled audio are refused with AsrInputError`,
    withEngine(async (e) => {
      const good = new Float32Array(1600);
      const cases: Array<[string, Float32Array, RegExp]> = [
        ["NaN", Float32Array.from(good, (_, i) => i === 5 ? NaN : 0), /NaN/],
        ["Infinity", Float32Array.from(good, (_, i) => i === 9 ? -Infinity : 0), /Infinity|finite/i],
        ["Int16Array", new Int16Array(1600) as unknown as Float32Array, /Float32Array/],
        ["s16 scale", Float32Array.from(good, (_, i) => (i % 2 ? 12000 : -12000)), /-1, 1|range|s16/i],
      ];
      for (const [what, bad, message] of cases) {
        const utterance = e.startUtterance();
        assert.throws(
          () => utterance.push(bad),
          (err: unknown) => err instanceof AsrInputError && message.test(err.message),
          `push(${what})`,
        );
        utterance.push(good); // the utterance survives a refused push
        await within(utterance.finish(), `finish after a refused ${what}`);
        await assert.rejects(e.transcribe(bad), AsrInputError, `transcribe(${what})`);
      }
    }),
  );

  Deno.test(
    `${name}: silence and faint noise give an empty or near-empty transcript`,
    withEngine(async (e) => {
      for (
        const [what, samples] of [["silence", silence(3000)], ["faint noise", whiteNoise(48_000, 0.003, 5)]] as const
      ) {
        const got = await within(e.transcribe(samples), what);
        assert.ok(normaliseWords(got.text).length <= 1, `${what} → "${got.text}"`);
      }
    }),
  );

  Deno.test(
    `${name}: cancel is safe at any point and the engine carries on`,
    withEngine(async (e) => {
      const samples = await say(SENTENCES[1]);
      e.startUtterance().cancel();
      let lateFromCancelled = 0;
      let cancelled = false;
      const utterance = e.startUtterance({
        onPartial: () => {
          if (cancelled) lateFromCancelled++;
        },
      });
      for (const chunk of chunked(samples.subarray(0, samples.length / 2), 1600)) utterance.push(chunk);
      await delay(100);
      utterance.cancel();
      cancelled = true;
      utterance.cancel();
      utterance.push(samples.subarray(0, 1600)); // ignored, not thrown
      await within(utterance.finish().then(() => {}, () => {}), "finish after cancel");
      await delay(300);
      assert.equal(lateFromCancelled, 0, "a partial arrived after cancel()");
      checkWer(SENTENCES[1], await within(e.transcribe(samples), "transcribe after cancel"));
    }),
  );

  Deno.test(
    `${name}: concurrent utterances stay independent`,
    withEngine(async (e) => {
      const [a, b] = await Promise.all(SENTENCES.map(say));
      const [ua, ub] = [e.startUtterance(), e.startUtterance()];
      const [pa, pb] = [[...chunked(a, 1600)], [...chunked(b, 1600)]];
      for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
        if (pa[i]) ua.push(pa[i]);
        if (pb[i]) ub.push(pb[i]);
      }
      const [ta, tb] = await within(Promise.all([ua.finish(), ub.finish()]), "two finishes");
      checkWer(SENTENCES[0], ta);
      checkWer(SENTENCES[1], tb);
    }),
  );
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Fails with a clear message instead of hanging the suite. */
async function within<T>(promise: Promise<T>, what: string, ms = HANG_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
