import assert from "node:assert/strict";
import { SentenceBuffer, splitFirstClause, splitSentences } from "../../../shared/text/mod.ts";

const texts = (t: string) => splitSentences(t).map((s) => s.text);

Deno.test("splitSentences ends sentences at . ! ? and keeps the following space with the sentence", () => {
  assert.deepEqual(texts("Hello there. How can I help you today? Great!"), [
    "Hello there. ",
    "How can I help you today? ",
    "Great!",
  ]);
});

Deno.test("splitSentences does not split at abbreviations, initials, decimals or a dot before a lower-case word", () => {
  assert.deepEqual(texts("Dr. Smith paid $3.14 at 5 p.m. on Baker St. in London. J. K. Rowling agreed."), [
    "Dr. Smith paid $3.14 at 5 p.m. on Baker St. in London. ",
    "J. K. Rowling agreed.",
  ]);
  assert.deepEqual(texts("Bring an ID, e.g. a passport. I.e. anything official."), [
    "Bring an ID, e.g. a passport. ",
    "I.e. anything official.",
  ]);
});

Deno.test("splitSentences handles ellipses, ?! runs, closing quotes and list markers", () => {
  assert.deepEqual(texts("Wait... what? Really?! Yes... Fine."), ["Wait... what? ", "Really?! ", "Yes... ", "Fine."]);
  assert.deepEqual(texts('"Are you sure?" she asked. "Yes." Then he left.'), [
    '"Are you sure?" she asked. ',
    '"Yes." ',
    "Then he left.",
  ]);
  assert.deepEqual(texts("Steps:\n1. Open it\n2. Use it"), ["Steps:\n", "1. Open it\n", "2. Use it"]);
});

Deno.test("splitSentences spans are contiguous and cover the text exactly", () => {
  const text = "  One. Two?  Three!\n\nFour";
  const spans = splitSentences(text);
  assert.equal(spans.map((s) => s.text).join(""), text);
  for (let i = 1; i < spans.length; i++) assert.equal(spans[i].start, spans[i - 1].end);
  for (const s of spans) assert.equal(text.slice(s.start, s.end), s.text);
  assert.deepEqual(splitSentences(""), []);
});

Deno.test("SentenceBuffer releases a sentence only once the next word shows it is complete", () => {
  const buffer = new SentenceBuffer({ startOffset: 5 });
  assert.deepEqual(buffer.push("Hello there"), []);
  assert.deepEqual(buffer.push("."), []);
  assert.deepEqual(buffer.push(" Dr."), [{ text: "Hello there. ", start: 5, end: 18 }]);
  assert.deepEqual(buffer.push(" Who"), []);
  assert.deepEqual(buffer.push(" is it? Me"), [{ text: "Dr. Who is it? ", start: 18, end: 33 }]);
  assert.deepEqual(buffer.flush(), { text: "Me", start: 33, end: 35 });
  assert.equal(buffer.flush(), null);
});

Deno.test("SentenceBuffer cuts text without sentence ends at a clause mark once it grows past maxChars", () => {
  const buffer = new SentenceBuffer({ maxChars: 40 });
  const out = buffer.push("one two three four, five six seven eight nine ten eleven twelve");
  assert.ok(out.length >= 1);
  assert.equal(out[0].text, "one two three four, ");
  assert.ok(buffer.pending.length <= 40);
});

Deno.test("splitFirstClause cuts after the first clause mark that leaves a long enough head and tail", () => {
  const span = { text: "Although it was raining, we went for a walk.", start: 10, end: 54 };
  assert.deepEqual(splitFirstClause(span), [
    { text: "Although it was raining, ", start: 10, end: 35 },
    { text: "we went for a walk.", start: 35, end: 54 },
  ]);
  assert.deepEqual(splitFirstClause({ text: "Yes, sir.", start: 0, end: 9 }).length, 1);
  assert.deepEqual(splitFirstClause({ text: "It costs 1,500 dollars today.", start: 0, end: 29 }).length, 1);
});

Deno.test("splitFirstClause cuts a still-long first clause before a phrase-starting word", () => {
  const text = "The museum opens at nine in the morning and closes at five, except on holidays.";
  const parts = splitFirstClause({ text, start: 0, end: text.length }).map((p) => p.text);
  assert.deepEqual(parts, ["The museum opens at nine ", "in the morning and closes at five, ", "except on holidays."]);
  const plain = "The quick brown fox jumps over the lazy dog.";
  assert.equal(splitFirstClause({ text: plain, start: 0, end: plain.length }).length, 1);
});
