/**
 * Reproduces denoland/deno#36788 as the orchestrator triggers it: closing a retiring worker channel (HTTP/2 GOAWAY)
 * after its Synthesize streams ended can abort the Deno worker process (nghttp2 assertion, `free(): invalid pointer`,
 * or SIGSEGV). Each try starts a real mock worker (`deno task run-tts-mock`), opens a channel through the
 * orchestrator's {@linkcode WorkerChannels}, speaks `RACE_STREAMS` (default 4) answers at once with the worker marked
 * as gone, and releases the channel `delayMs` after the streams ended (0: at once, as the router does; the last
 * release closes the channel), then checks whether the worker process is still alive. Prints crash counts per delay.
 *
 * Usage: `deno run -A bench/channel_close_race.ts [tries=10] [delayMs…=0 2000]`. Not part of `deno task test`: each
 * try starts a worker process and a crash is a matter of chance.
 *
 * @module
 */
import { WorkerProcess } from "../harness/task_process.ts";
import { WorkerChannels } from "../orchestrator/routing/worker_channels.ts";
import { chunk, collect } from "../harness/tts_stream.ts";
import { unary } from "../harness/tts_stream.ts";

/** Streams per try. */
const STREAMS = Number(Deno.env.get("RACE_STREAMS") ?? 4);

/** One try: "ok", or how the worker died. */
export async function closeRaceTry(delayMs: number): Promise<string> {
  const worker = WorkerProcess.start("run-tts-mock", { REDIS_URL: "redis://127.0.0.1:1" });
  const address = `127.0.0.1:${worker.port}`;
  const channels = new WorkerChannels(() => {}, {}, 15_000);
  let exited: Deno.CommandStatus | null = null;
  worker.status.then((s) => exited = s);
  try {
    const client = channels.get(address).client;
    const until = Date.now() + 30_000;
    for (;;) {
      try {
        for (let i = 0; i < STREAMS; i++) {
          await unary(client.startSession.bind(client), { sessionId: `race-${i}`, modelId: "", options: undefined });
        }
        break;
      } catch (error) {
        if (exited || Date.now() > until) throw new Error(`worker did not start: ${error}\n${worker.output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    // Several answers at once, each releasing the channel `delayMs` after its status arrives (0: the moment it does,
    // as the router does when a stream finishes): the last release closes the retiring channel.
    const answers = Array.from({ length: STREAMS }, (_, i) => {
      channels.retain(address);
      const stream = client.synthesize();
      const result = collect(stream);
      stream.on("status", () => {
        if (delayMs > 0) setTimeout(() => channels.release(address), delayMs);
        else channels.release(address);
      });
      stream.write(chunk(`race-${i}`, `Answer ${i}: hello there, this is a short answer.`));
      stream.end();
      return result;
    });
    channels.retire(address); // the worker left the registry while the streams were running
    for (const { error } of await Promise.all(answers)) if (error) throw new Error(`stream failed: ${error.message}`);
    await new Promise((r) => setTimeout(r, delayMs + 1_500));
    const status = exited as Deno.CommandStatus | null;
    if (status) return `exited code=${status.code} signal=${status.signal}`;
    return channels.peek(address) ? "channel still open (bug)" : "ok";
  } finally {
    channels.closeAll();
    await worker.close();
  }
}

if (import.meta.main) {
  const tries = Number(Deno.args[0] ?? 10);
  const delays = Deno.args.length > 1 ? Deno.args.slice(1).map(Number) : [0, 2_000];
  const counts = new Map(delays.map((g) => [g, 0]));
  // Interleaved, so that machine load falls on both alike.
  for (let i = 0; i < tries; i++) {
    for (const delay of delays) {
      const outcome = await closeRaceTry(delay);
      if (outcome !== "ok") counts.set(delay, counts.get(delay)! + 1);
      console.log(`try ${i + 1} delay ${delay} ms: ${outcome}`);
    }
  }
  for (const delay of delays) {
    console.log(`close ${delay} ms after the streams ended: ${counts.get(delay)} of ${tries} worker crashes`);
  }
}
