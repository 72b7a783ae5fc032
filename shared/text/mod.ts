/**
 * Text utilities shared by the TTS workers and the orchestrator's responder: sentence splitting (whole texts and
 * streamed ones) and first-clause splitting for fast first audio.
 *
 * @module
 */
export { hasSpeech, sentenceStarts, splitSentences, type TextSpan } from "./sentences.ts";
export { SentenceBuffer, type SentenceBufferOptions } from "./sentence_buffer.ts";
export { type FirstClauseOptions, splitFirstClause } from "./clauses.ts";
export { dotMayEndSentence } from "./abbreviations.ts";
