/**
 * Worker sessions expire on the worker itself when their client stops renewing them, so no client (a crashed
 * orchestrator, a leaking one, a hostile one) can hold worker slots for ever; renewed sessions and sessions with a
 * running stream stay.
 */
import assert from "node:assert/strict";
import { MockAdapter } from "../../workers/mock/mock_adapter.ts";
import type { TtsAdapter } from "../../workers/runtime/adapter.ts";
import { chunk, collect, startTestWorker, TestClient, waitFor } from "../workers/runtime/worker_harness.ts";
import { slowAdapter } from "../workers/runtime/slow_adapter.ts";

Deno.test("worker session lease: an idle session that is not renewed ends; a renewed one stays", async () => {
  const worker = await startTestWorker({ limits: { sessionLeaseMs: 400 } });
  const client = new TestClient(`127.0.0.1:${worker.port}`);
  try {
    for (const id of ["forgotten-1", "forgotten-2", "kept"]) assert.equal((await client.startSession(id)).leaseMs, 400);
    const renew = (ids: string[]) =>
      new Promise<string[]>((resolve, reject) =>
        client.tts.renewSessions({ sessionIds: ids }, (e, r) => e ? reject(e) : resolve(r.unknownSessionIds))
      );
    const timer = setInterval(() => void renew(["kept"]), 100);
    try {
      await waitFor(() => worker.core.sessions.size === 1, "the forgotten sessions to expire", 3000);
      await new Promise((resolve) => setTimeout(resolve, 600));
      assert.deepEqual(worker.core.sessions.all().map((s) => s.id), ["kept"]);
    } finally {
      clearInterval(timer);
    }
    assert.deepEqual(await renew(["kept", "forgotten-1", "never"]), ["forgotten-1", "never"]);
    assert.equal((await client.capabilities()).activeSessions, 1);
  } finally {
    client.close();
    await worker.shutdown("test");
  }
});

Deno.test("worker session lease: a session with a running stream is not expired under it", async () => {
  const adapter = slowAdapter(new MockAdapter() as TtsAdapter, { chunkDelayMs: 25 });
  const worker = await startTestWorker({ adapter, limits: { sessionLeaseMs: 300 } });
  const client = new TestClient(`127.0.0.1:${worker.port}`);
  try {
    await client.startSession("busy");
    const call = client.openStream();
    const result = collect(call);
    call.write(chunk("busy", "A sentence that takes the slow adapter well over the lease to speak."));
    call.end();
    const { error, frames } = await result;
    assert.equal(error, null);
    assert.ok(frames.length > 0);
    assert.equal(worker.core.sessions.size, 1, "still open right after its stream");
    await waitFor(() => worker.core.sessions.size === 0, "the idle session to expire after its stream", 3000);
  } finally {
    client.close();
    await worker.shutdown("test");
  }
});
