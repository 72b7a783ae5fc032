/**
 * `voicechat_pacer_underruns_total` follows the pacer: a response whose audio runs dry mid-way (the responder, and so the
 * worker, slower than real time) moves the counter on /metrics; a response whose audio keeps up does not.
 */
import assert from "node:assert/strict";
import type { Responder } from "../../../orchestrator/responder/contract.ts";
import type { Clock } from "../../../orchestrator/session/clock.ts";
import { setup } from "./session_setup.ts";

/** Says `first`, waits `pauseMs` on the session's clock, then says `second`. */
function haltingResponder(clock: () => Clock, first: string, pauseMs: number, second: string): Responder {
  return {
    name: "halting (test stand-in for a slow LLM)",
    async *respond() {
      yield first;
      await new Promise<void>((resolve) => clock().setTimer(resolve, pauseMs));
      yield second;
    },
  };
}

/** The value of `name` in the Prometheus exposition text. */
function exposed(text: string, name: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} is exposed:\n${text}`);
  return Number(line.split(" ")[1]);
}

Deno.test("session: agent audio that runs dry mid-response counts a pacer underrun on /metrics", async () => {
  // "Hello there." (complete once the next sentence begins) plays for about 260 ms; the rest arrives a second later,
  // long after the client's buffer ran out.
  const parts: ReturnType<typeof setup> = setup(
    {},
    haltingResponder(() => parts.clock, "Hello there. How", 1_000, " are you?"),
  );
  parts.session.text("hi");
  await parts.clock.advance(3_000);
  assert.equal(parts.output.ofType("response.done").length, 1);
  const sent = parts.output.frames.map((f) => f.atMs);
  assert.ok(sent.some((t, i) => i > 0 && t - sent[i - 1] > 500), `the audio had a gap: ${sent}`);
  assert.equal(exposed(parts.metrics.registry.render(), "voicechat_pacer_underruns_total"), 1);
  parts.session.end("client_end");
});

Deno.test("session: agent audio that keeps up with real time counts no underrun", async () => {
  const parts = setup();
  parts.session.text("one two three four five six seven eight nine ten");
  await parts.clock.advance(3_000);
  assert.equal(parts.output.ofType("response.done").length, 1);
  assert.equal(exposed(parts.metrics.registry.render(), "voicechat_pacer_underruns_total"), 0);
  parts.session.end("client_end");
});
