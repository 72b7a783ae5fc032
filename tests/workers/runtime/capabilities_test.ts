import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { MockAdapter } from "../../../workers/mock/mock_adapter.ts";
import { slowAdapter } from "./slow_adapter.ts";
import { chunk, collect, startTestWorker, TestClient, waitFor } from "./worker_harness.ts";

Deno.test("GetCapabilities and ListModels report live sessions, resident models, queue depth and measured RTF", async () => {
  const adapter = slowAdapter(new MockAdapter(), { chunkDelayMs: 200 });
  const worker = await startTestWorker({ name: "caps", adapter, maxSessions: 5, preloadModelIds: ["mock-220hz"] });
  const client = new TestClient(`127.0.0.1:${worker.port}`);
  try {
    const idle = await client.capabilities();
    assert.equal(idle.workerName, "caps");
    assert.equal(idle.adapter, "mock");
    assert.equal(idle.defaultModel, "mock-440hz");
    assert.deepEqual(idle.residentModels.sort(), ["mock-220hz", "mock-440hz"]);
    assert.deepEqual(idle.availableModels, ["mock-220hz", "mock-440hz", "mock-880hz"]);
    assert.deepEqual({ a: idle.activeSessions, m: idle.maxSessions, q: idle.queueDepth }, { a: 0, m: 5, q: 0 });
    assert.ok(idle.rtf > 0 && idle.rtf < 1, `warmup measured an RTF: ${idle.rtf}`);
    assert.equal(idle.sampleRate, 48000);
    assert.equal(idle.streaming && idle.supportsPause, true);

    await client.startSession("a");
    await client.startSession("b", "mock-1234hz"); // loadable though not in the catalogue
    const call = client.openStream();
    const result = collect(call);
    call.write(chunk("a", "a long sentence that keeps the slow adapter busy"));
    call.end();
    // The stream waits 200 ms for each chunk: it is waiting for compute, so it counts in the queue depth.
    await waitFor(async () => (await client.capabilities()).queueDepth === 1, "queue depth 1");
    const busy = await client.capabilities();
    assert.equal(busy.activeSessions, 2);
    assert.ok(busy.residentModels.includes("mock-1234hz"));
    assert.ok(busy.availableModels.includes("mock-1234hz"));
    const models = (await client.listModels()).models;
    const byId = new Map(models.map((m) => [m.modelId, m]));
    assert.deepEqual([...byId.keys()], ["mock-1234hz", "mock-220hz", "mock-440hz", "mock-880hz"]);
    assert.deepEqual(
      ["mock-440hz", "mock-220hz", "mock-880hz"].map((id) => [byId.get(id)!.loaded, byId.get(id)!.refcount]),
      [[true, 1], [true, 0], [false, 0]],
    );
    assert.ok(byId.get("mock-440hz")!.rtf > 0);
    assert.ok(byId.get("mock-440hz")!.loadedAtMs > 0);
    assert.equal(byId.get("mock-880hz")!.loadedAtMs, 0);
    call.cancel();
    await result;
    await waitFor(async () => (await client.capabilities()).queueDepth === 0, "queue depth back to 0");
  } finally {
    client.close();
    await worker.shutdown("test over");
  }
});

Deno.test("LoadModel makes a model resident; a forced UnloadModel cancels its holders and ends their sessions", async () => {
  const worker = await startTestWorker({ adapter: slowAdapter(new MockAdapter(), { chunkDelayMs: 30 }) });
  const client = new TestClient(`127.0.0.1:${worker.port}`);
  try {
    const loaded = await client.loadModel("mock-660hz");
    assert.equal(loaded.model?.modelId, "mock-660hz");
    assert.equal(loaded.model?.loaded, true);
    assert.equal((await client.loadModel("mock-660hz")).loadMs, 0, "already resident");
    assert.deepEqual(await client.unloadModel("mock-660hz"), { unloaded: true });
    // Not resident: a catalogued model answers unloaded=false, an id the worker does not know NOT_FOUND.
    assert.deepEqual(await client.unloadModel("mock-880hz"), { unloaded: false });
    await assert.rejects(client.unloadModel("mock-660hz"), (e: { code: number }) => e.code === status.NOT_FOUND);

    await client.startSession("holder", "mock-660hz");
    const call = client.openStream();
    let frames = 0;
    const result = collect(call, () => frames++);
    call.write(chunk("holder", "x".repeat(100)));
    call.end();
    await waitFor(() => frames > 0, "first frame");
    assert.deepEqual(await client.unloadModel("mock-660hz", true), { unloaded: true });
    const { error } = await result;
    assert.equal(error?.code, status.ABORTED);
    assert.match(error!.details, /unloaded/);
    await assert.rejects(client.endSession("holder"), (e: { code: number }) => e.code === status.NOT_FOUND);
    assert.equal((await client.capabilities()).residentModels.includes("mock-660hz"), false);
  } finally {
    client.close();
    await worker.shutdown("test over");
  }
});
