/**
 * Phoneme parity with the reference: for every line of a 333-sentence corpus (numbers, dates, abbreviations,
 * questions, quotes, long clauses), our phoneme-id sequences per sentence must equal those piper-tts computes, run
 * in Python at test time (cached by corpus, voice config and script). Every difference is printed.
 */
import assert from "node:assert/strict";
import { resolveRepoPath } from "../../../harness/sox.ts";
import { cachedText, fingerprint, JOE_ONNX, jsonLines, loadJoe, requireJoeVoice, runPython } from "./piper_fixtures.ts";

const CORPUS = resolveRepoPath("tests/workers/piper/fixtures/parity_corpus.txt");
const REFERENCE = "bench/reference/piper_reference.py";
const REQUIRED_PARITY = 0.98;

interface ReferenceIds {
  text: string;
  sentences: number[][];
}

function readable(sentences: number[][], symbols: Map<number, string>): string {
  return sentences.map((ids) => ids.filter((_, i) => i % 2 === 0).map((id) => symbols.get(id) ?? `#${id}`).join(""))
    .join(" | ");
}

Deno.test("phoneme ids equal piper-tts's on at least 98% of a 300+ sentence corpus", async () => {
  await requireJoeVoice();
  const corpus = (await Deno.readTextFile(CORPUS)).split("\n").filter((l) => l.trim());
  assert.ok(corpus.length >= 300, `corpus has ${corpus.length} lines`);
  const key = await fingerprint(["ids"], [CORPUS, `${JOE_ONNX}.json`, resolveRepoPath(REFERENCE)]);
  const reference = jsonLines<ReferenceIds>(
    await cachedText(`ids-${key}.jsonl`, () => runPython(REFERENCE, ["ids", "--model", JOE_ONNX], corpus.join("\n"))),
  );
  assert.equal(reference.length, corpus.length, "the reference answered every line");

  const { model } = await loadJoe();
  try {
    const symbols = new Map([...model.config.phonemeIdMap].map(([phoneme, ids]) => [ids[0], phoneme]));
    const differences: string[] = [];
    for (const { text, sentences } of reference) {
      const ours = model.phonemeIds(text);
      if (JSON.stringify(ours) !== JSON.stringify(sentences)) {
        differences.push(
          `  ${JSON.stringify(text)}\n    ours:      ${readable(ours, symbols)}\n    piper-tts: ${
            readable(sentences, symbols)
          }`,
        );
      }
    }
    const parity = 1 - differences.length / reference.length;
    console.log(
      `phoneme parity: ${reference.length - differences.length}/${reference.length} lines identical ` +
        `(${(parity * 100).toFixed(1)}%)${differences.length ? "; differences:\n" + differences.join("\n") : ""}`,
    );
    assert.ok(parity >= REQUIRED_PARITY, `parity ${(parity * 100).toFixed(1)}% < ${REQUIRED_PARITY * 100}%`);
  } finally {
    await model.dispose();
  }
});
