/**
 * Spoken turns against a compose stack from outside, the way a user makes them: our CLI client over the WebSocket
 * through Caddy (trusting the certificate the test is given), and Chromium with a fake microphone over LiveKit.
 *
 * @module
 */
import assert from "node:assert/strict";
import { readWavFile } from "../../shared/audio/wav.ts";
import { openBrowser, pageAgentAudio, waitForPageEvent } from "../e2e/browser.ts";
import { recording } from "../e2e/speech_files.ts";
import { resolveRepoPath } from "../../harness/sox.ts";
import { speak } from "../../harness/speech.ts";
import { taskCommand } from "../../harness/task_process.ts";
import { wordErrorRate } from "../../harness/wer.ts";

/** What one CLI turn returned. */
export interface CliTurn {
  transcript: string;
  answerText: string;
  /** Seconds of agent audio written to the WAV. */
  audioSeconds: number;
  /** Peak of the agent audio (0..1). */
  peak: number;
  events: Array<Record<string, unknown> & { type: string }>;
}

/**
 * Speaks `text` (Piper joe, made by the test) into `deno task client` aimed at `url` with `DENO_CERT=caFile`, and
 * checks the transcript; returns the turn. Throws with the client's output when it fails.
 */
export async function cliTurn(
  options: { url: string; caFile: string; apiKey: string; text: string; model?: string; timeoutS?: number },
): Promise<CliTurn> {
  const speech = await speak({ text: options.text, voice: "piper-joe", leadMs: 300, tailMs: 200, sampleRate: 16_000 });
  const dir = await Deno.makeTempDir({ prefix: "compose-turn-" });
  try {
    const out = `${dir}/agent.wav`;
    const [bin, ...args] = taskCommand("client");
    const extra = options.model ? ["--model", options.model] : [];
    const run = await new Deno.Command(bin, {
      args: [
        ...args,
        speech.wavPath,
        "--url",
        options.url,
        "--api-key",
        options.apiKey,
        "--out",
        out,
        "--timeout",
        String(options.timeoutS ?? 60),
        ...extra,
      ],
      cwd: resolveRepoPath(""),
      env: { DENO_CERT: options.caFile },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(run.stdout);
    const stderr = new TextDecoder().decode(run.stderr);
    assert.equal(run.code, 0, `client failed (exit ${run.code}):\n${stderr}\n${stdout}`);
    const events = stdout.trim().split("\n").filter(Boolean).map((line) => JSON.parse(line));
    const final = events.find((e) => e.type === "transcript.final");
    assert.ok(final, `no transcript.final:\n${stdout}`);
    assert.ok(wordErrorRate(options.text, final.text) <= 0.25, `heard "${final.text}" for "${options.text}"`);
    const done = events.find((e) => e.type === "response.done");
    const wav = await readWavFile(out);
    const peak = wav.samples.reduce((m, s) => Math.max(m, Math.abs(s)), 0);
    return {
      transcript: final.text,
      answerText: String(done?.text ?? ""),
      audioSeconds: wav.samples.length / wav.sampleRate,
      peak,
      events,
    };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Chromium opens `pageUrl`, speaks one sentence into its fake microphone over LiveKit, and hears the answer. */
export async function browserTurn(pageUrl: string): Promise<{ transcript: string; audibleMs: number; log: string[] }> {
  const request = "Please turn on the kitchen lights.";
  const turn = await recording([{ pauseMs: 800 }, { say: request }, { pauseMs: 12_000 }]);
  const session = await openBrowser(turn.path);
  try {
    // Docker adding a network's bridge on the host makes Chromium abort a navigation with ERR_NETWORK_CHANGED.
    let response = null;
    for (let attempt = 1;; attempt++) {
      try {
        response = await session.page.goto(pageUrl);
        break;
      } catch (error) {
        if (attempt >= 3 || !/ERR_NETWORK_CHANGED/.test((error as Error).message)) throw error;
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
    assert.equal(response?.status(), 200, `the page through Caddy: ${response?.status()}`);
    await session.page.click("#start");
    await waitForPageEvent(session, (e) => e.type === "session.started", "the session to start", 60_000);
    // deno-lint-ignore no-explicit-any
    const transport = await session.page.evaluate(() => (globalThis as any).voiceDebug.transport);
    assert.equal(transport, "livekit", `the page talks over LiveKit\n${session.log.slice(-15).join("\n")}`);
    const final = await waitForPageEvent(session, (e) => e.type === "transcript.final", "the transcript", 90_000);
    assert.ok(wordErrorRate(request, String(final.text)) <= 0.25, `heard "${final.text}"`);
    const done = await waitForPageEvent(session, (e) => e.type === "response.done", "the answer", 90_000);
    await new Promise((r) => setTimeout(r, 800));
    const audio = await pageAgentAudio(session.page);
    const answerMs = Number(done.audioMs);
    assert.ok(audio.audibleMs >= 0.6 * answerMs, `heard ${audio.audibleMs} ms of a ${answerMs} ms answer`);
    assert.ok(audio.audibleRms > 0.02, `agent audio RMS ${audio.audibleRms.toFixed(3)} is speech`);
    return { transcript: String(final.text), audibleMs: audio.audibleMs, log: session.log };
  } finally {
    await session.close();
    await Deno.remove(turn.path).catch(() => {});
  }
}
