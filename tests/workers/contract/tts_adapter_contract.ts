/**
 * The TTS adapter contract suite: every adapter (mock, piper, cosyvoice) runs these same tests against a real loaded
 * model, so the worker runtime can rely on the behaviour `workers/runtime/adapter.ts` promises.
 *
 * Usage, in `tests/workers/<adapter>/<adapter>_contract_test.ts`:
 * ```ts
 * ttsAdapterContract("piper", async () => ({ adapter, modelId: "piper-en-us-joe-medium", cleanup: async () => {} }));
 * ```
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  type AudioChunk,
  type LoadedModel,
  MODEL_ID_PREFIX,
  ModelNotFoundError,
  type SynthesisOptions,
  type TextPiece,
  type TtsAdapter,
} from "../../../workers/runtime/adapter.ts";

/** What the suite needs: a ready adapter, a model id it can load, and how to release what the factory made. */
export interface ContractSubject {
  adapter: TtsAdapter;
  modelId: string;
  cleanup: () => Promise<void>;
}

const SENTENCE = "Hello there, this is a short test sentence.";
const PROMPTLY_MS = 2_000; // generous for a loaded 2-core machine; the point is "does not hang"

/** Text pieces with UTF-16 offsets, as the runtime makes them. */
export function pieces(texts: string[], flush = true): TextPiece[] {
  let offset = 0;
  return texts.map((text) => {
    const piece = { text, start: offset, end: offset + text.length, flush };
    offset += text.length;
    return piece;
  });
}

async function* fromArray(items: TextPiece[]): AsyncGenerator<TextPiece> {
  for (const item of items) yield item;
}

/** A text input the test feeds by hand; `close()` ends it. */
function manualInput() {
  const queue: TextPiece[] = [];
  let wake = () => {};
  let closed = false;
  return {
    push(piece: TextPiece) {
      queue.push(piece);
      wake();
    },
    close() {
      closed = true;
      wake();
    },
    async *[Symbol.asyncIterator](): AsyncGenerator<TextPiece> {
      while (true) {
        const next = queue.shift();
        if (next) yield next;
        else if (closed) return;
        else await new Promise<void>((resolve) => wake = resolve);
      }
    },
  };
}

/** Collects all audio of one synthesis. */
async function synthesizeAll(model: LoadedModel, input: TextPiece[], options: SynthesisOptions = {}) {
  const chunks: AudioChunk[] = [];
  for await (const chunk of model.synthesize(fromArray(input), options, new AbortController().signal)) {
    chunks.push(chunk);
  }
  const samples = chunks.reduce((n, c) => n + c.pcm.length, 0);
  return { chunks, samples };
}

function rms(chunks: AudioChunk[]): number {
  let sum = 0, n = 0;
  for (const c of chunks) for (const s of c.pcm) (sum += s * s, n++);
  return n ? Math.sqrt(sum / n) : 0;
}

/** Rejects if `promise` does not settle within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) =>
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms)
  );
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Registers the contract tests for one adapter. */
export function ttsAdapterContract(name: string, makeAdapter: () => Promise<ContractSubject>): void {
  /** Runs `body` with a loaded model and releases everything afterwards. */
  async function withModel(body: (model: LoadedModel, subject: ContractSubject) => Promise<void>) {
    const subject = await makeAdapter();
    let model: LoadedModel | null = null;
    try {
      model = await subject.adapter.load(subject.modelId);
      await body(model, subject);
    } finally {
      await model?.dispose();
      await subject.cleanup();
    }
  }

  Deno.test(`${name} adapter contract: lists its models with its own prefix, including the test model`, async () => {
    const subject = await makeAdapter();
    try {
      const models = await subject.adapter.listModels();
      assert.ok(models.some((m) => m.id === subject.modelId), `${subject.modelId} is listed`);
      for (const m of models) {
        assert.equal(m.adapter, subject.adapter.type);
        assert.ok(m.id.startsWith(MODEL_ID_PREFIX[subject.adapter.type]), `${m.id} has the family prefix`);
        assert.ok(m.nativeSampleRate > 0 && m.numSpeakers >= 1 && m.language.length > 0, JSON.stringify(m));
      }
      assert.ok(subject.adapter.device.length > 0);
    } finally {
      await subject.cleanup();
    }
  });

  Deno.test(`${name} adapter contract: loads and warms up a model that describes itself`, async () => {
    await withModel(async (model, subject) => {
      assert.equal(model.descriptor.id, subject.modelId);
      assert.equal(model.descriptor.adapter, subject.adapter.type);
      await model.warmup();
      assert.ok(model.rtf() >= 0 && Number.isFinite(model.rtf()));
    });
  });

  Deno.test(`${name} adapter contract: an unknown model id is a ModelNotFoundError`, async () => {
    const subject = await makeAdapter();
    try {
      const prefix = MODEL_ID_PREFIX[subject.adapter.type];
      await assert.rejects(subject.adapter.load(`${prefix}no-such-model-zz`), ModelNotFoundError);
      await assert.rejects(subject.adapter.load("other-family-model"), ModelNotFoundError);
    } finally {
      await subject.cleanup();
    }
  });

  Deno.test(`${name} adapter contract: synthesizes audible 48 kHz speech with text spans in order`, async () => {
    await withModel(async (model) => {
      const input = pieces(["Hello there. ", "This is a test."]);
      const { chunks, samples } = await synthesizeAll(model, input);
      const seconds = samples / 48_000;
      assert.ok(seconds > 0.3 && seconds < 15, `plausible duration at 48 kHz: ${seconds.toFixed(2)} s`);
      assert.ok(rms(chunks) > 100, `audible: rms ${rms(chunks).toFixed(0)}`);
      for (const c of chunks) assert.ok(c.pcm instanceof Int16Array);
      let lastStart = 0;
      const end = input.at(-1)!.end;
      for (const c of chunks) {
        assert.ok(c.textStart >= lastStart && c.textStart <= c.textEnd && c.textEnd <= end, JSON.stringify(c));
        lastStart = c.textStart;
      }
      assert.equal(chunks.at(-1)!.textEnd, end, "the last audio belongs to the end of the text");
      assert.ok(model.rtf() > 0, "RTF is measured after a synthesis");
    });
  });

  Deno.test(`${name} adapter contract: yields audio for flushed text before the input ends`, async () => {
    await withModel(async (model) => {
      const input = manualInput();
      const audio = model.synthesize(input, {}, new AbortController().signal)[Symbol.asyncIterator]();
      input.push(pieces(["Good morning."])[0]);
      const first = await within(audio.next(), 30_000, "first audio while the input is still open");
      assert.equal(first.done, false);
      input.close();
      while (!(await audio.next()).done) { /* drain */ }
    });
  });

  Deno.test(`${name} adapter contract: a faster speed gives shorter audio`, async () => {
    await withModel(async (model) => {
      const normal = await synthesizeAll(model, pieces([SENTENCE]), { speed: 1 });
      const fast = await synthesizeAll(model, pieces([SENTENCE]), { speed: 2 });
      assert.ok(fast.samples < normal.samples * 0.8, `speed 2: ${fast.samples} vs ${normal.samples} samples`);
    });
  });

  Deno.test(`${name} adapter contract: two concurrent syntheses on one model do not disturb each other`, async () => {
    await withModel(async (model) => {
      const textA = pieces(["One fish, two fish. ", "Red fish, blue fish."]);
      const textB = pieces(["The weather is fine today."]);
      const controllerB = new AbortController();
      const a = model.synthesize(fromArray(textA), {}, new AbortController().signal)[Symbol.asyncIterator]();
      const b = model.synthesize(fromArray(textB), {}, controllerB.signal)[Symbol.asyncIterator]();
      // Interleave pulls, then abort B halfway: A must still complete with all of its text.
      const chunksA: AudioChunk[] = [];
      const first = await b.next();
      assert.equal(first.done, false);
      assert.ok(first.value!.textEnd <= textB[0].end);
      let next = await a.next();
      controllerB.abort(new Error("stop B"));
      while (!next.done) {
        chunksA.push(next.value);
        next = await a.next();
      }
      await within(drain(b), PROMPTLY_MS, "aborted synthesis ends");
      assert.equal(chunksA.at(-1)!.textEnd, textA.at(-1)!.end);
      assert.ok(chunksA.every((c) => c.textEnd <= textA.at(-1)!.end));
      const alone = await synthesizeAll(model, textA);
      const total = chunksA.reduce((n, c) => n + c.pcm.length, 0);
      assert.ok(Math.abs(total - alone.samples) < alone.samples * 0.25, `${total} vs ${alone.samples} alone`);
    });
  });

  Deno.test(`${name} adapter contract: abort stops promptly, while producing and while waiting for text`, async () => {
    await withModel(async (model) => {
      const producing = new AbortController();
      const long = pieces([SENTENCE.repeat(6)]);
      const audio = model.synthesize(fromArray(long), {}, producing.signal)[Symbol.asyncIterator]();
      assert.equal((await audio.next()).done, false);
      producing.abort(new Error("barge-in"));
      await within(drain(audio), PROMPTLY_MS, "synthesis ends after abort");

      const waiting = new AbortController();
      const input = manualInput(); // never gets text
      const idle = model.synthesize(input, {}, waiting.signal)[Symbol.asyncIterator]();
      const pending = idle.next();
      setTimeout(() => waiting.abort(new Error("client gone")), 50);
      await within(
        pending.then(() => drain(idle), () => {}),
        PROMPTLY_MS,
        "a synthesis waiting for text ends on abort",
      );
    });
  });
}

/** Pulls an iterator to its end, treating a rejection after abort as the end. */
async function drain(iterator: AsyncIterator<AudioChunk>): Promise<void> {
  try {
    while (!(await iterator.next()).done) { /* discard */ }
  } catch {
    // An adapter may end an aborted synthesis by throwing; both ways are allowed.
  }
}
