import assert from "node:assert/strict";
import { ModelLoadError, ModelNotFoundError } from "../../../workers/runtime/adapter.ts";
import { FakeClock } from "./fake_clock.ts";
import { ModelInUseError, ModelManager, type ModelManagerOptions } from "../../../workers/runtime/model_manager.ts";
import { MockAdapter } from "../../../workers/mock/mock_adapter.ts";
import { slowAdapter } from "./slow_adapter.ts";

function setup(options: Partial<ModelManagerOptions> & { loadDelayMs?: number; failLoads?: Set<string> } = {}) {
  const adapter = slowAdapter(new MockAdapter(), { loadDelayMs: options.loadDelayMs, failLoads: options.failLoads });
  const clock = new FakeClock();
  const manager = new ModelManager({
    adapter,
    clock,
    idleTtlMs: 10_000,
    minResidencyMs: 0,
    maxResident: 8,
    maxParallelLoads: 1,
    ...options,
  });
  return { manager, clock, log: adapter.log };
}

Deno.test("concurrent requests for one model share a single load, warmed up once", async () => {
  const { manager, log } = setup({ loadDelayMs: 30 });
  const leases = await Promise.all([manager.acquire("mock-300hz"), manager.acquire("mock-300hz")]);
  await manager.ensureLoaded("mock-300hz");
  assert.deepEqual(log.loads, ["mock-300hz"]);
  assert.deepEqual(log.warmups, ["mock-300hz"]);
  assert.equal(manager.status()[0].refcount, 2);
  assert.ok(leases[0].loadMs > 0);
  leases.forEach((l) => l.release());
  leases[0].release(); // idempotent
  assert.equal(manager.status()[0].refcount, 0);
  await manager.disposeAll();
});

Deno.test("loads of different models run at most maxParallelLoads at a time", async () => {
  const { manager, log } = setup({ loadDelayMs: 40, maxParallelLoads: 2 });
  const ids = ["mock-100hz", "mock-200hz", "mock-300hz", "mock-400hz", "mock-500hz"];
  await Promise.all(ids.map((id) => manager.ensureLoaded(id)));
  assert.equal(log.maxConcurrentLoads, 2);
  assert.deepEqual(manager.residentIds().sort(), ids);
  await manager.disposeAll();
  assert.equal(log.disposed.length, 5);
});

Deno.test("an idle model is evicted after the TTL, a held one never, and the TTL restarts on release", async () => {
  const { manager, clock, log } = setup({ idleTtlMs: 10_000 });
  await manager.ensureLoaded("mock-100hz");
  const lease = await manager.acquire("mock-200hz");
  clock.advance(9_999);
  assert.deepEqual(await manager.sweep(), []);
  clock.advance(1);
  assert.deepEqual(await manager.sweep(), ["mock-100hz"]);
  assert.deepEqual(log.disposed, ["mock-100hz"]);
  clock.advance(60_000);
  assert.deepEqual(await manager.sweep(), [], "held by a session");
  lease.release();
  clock.advance(9_999);
  assert.deepEqual(await manager.sweep(), []);
  clock.advance(1);
  assert.deepEqual(await manager.sweep(), ["mock-200hz"]);
  assert.deepEqual(manager.residentIds(), []);
});

Deno.test("the minimum residency protects a freshly loaded model from eviction", async () => {
  const { manager, clock } = setup({ idleTtlMs: 1_000, minResidencyMs: 5_000, maxResident: 1 });
  await manager.ensureLoaded("mock-100hz");
  clock.advance(2_000);
  assert.deepEqual(await manager.sweep(), [], "idle past the TTL but younger than the minimum residency");
  await manager.ensureLoaded("mock-200hz");
  assert.deepEqual(manager.residentIds().sort(), ["mock-100hz", "mock-200hz"], "cap exceeded rather than thrash");
  clock.advance(3_000);
  assert.deepEqual(await manager.sweep(), ["mock-100hz"]);
  clock.advance(2_000);
  assert.deepEqual(await manager.sweep(), ["mock-200hz"]);
});

Deno.test("the pinned default model stays resident however long it idles", async () => {
  const { manager, clock } = setup({ idleTtlMs: 1_000, maxResident: 1 });
  await manager.ensureLoaded("mock-440hz", { pin: true });
  await manager.ensureLoaded("mock-100hz");
  clock.advance(1_000_000);
  assert.deepEqual(await manager.sweep(), ["mock-100hz"]);
  assert.deepEqual(manager.residentIds(), ["mock-440hz"]);
  await manager.disposeAll();
});

Deno.test("above the resident cap the least recently used unheld model goes first", async () => {
  const { manager, clock } = setup({ maxResident: 2 });
  await manager.ensureLoaded("mock-100hz");
  clock.advance(10);
  await manager.ensureLoaded("mock-200hz");
  clock.advance(10);
  (await manager.acquire("mock-100hz")).release(); // mock-100hz is now the most recently used
  clock.advance(10);
  await manager.ensureLoaded("mock-300hz");
  assert.deepEqual(manager.residentIds().sort(), ["mock-100hz", "mock-300hz"]);

  // Held models are never evicted for the cap; it is exceeded until one is released.
  const a = await manager.acquire("mock-100hz");
  const b = await manager.acquire("mock-300hz");
  const c = await manager.acquire("mock-400hz");
  assert.equal(manager.residentIds().length, 3);
  b.release();
  assert.deepEqual(await manager.sweep(), ["mock-300hz"]);
  a.release();
  c.release();
  await manager.disposeAll();
});

Deno.test("a failed load gives a clear error, is not cached, and the manager keeps working", async () => {
  const failLoads = new Set(["mock-666hz"]);
  const { manager, log } = setup({ failLoads });
  await assert.rejects(manager.acquire("mock-666hz"), (e: Error) => {
    assert.ok(e instanceof ModelLoadError);
    assert.match(e.message, /mock-666hz.*failed to load.*corrupt/);
    return true;
  });
  await assert.rejects(manager.acquire("mock-1hz"), ModelNotFoundError);
  await assert.rejects(manager.acquire("piper-en-us-x"), ModelNotFoundError);
  assert.equal(manager.pendingAcquisitions, 0);
  failLoads.clear();
  const lease = await manager.acquire("mock-666hz");
  assert.deepEqual(log.loads.filter((id) => id === "mock-666hz").length, 2, "the failure was not cached");
  lease.release();
  await manager.disposeAll();
});

Deno.test("unloading a held model needs force; reload swaps instances and disposes the old one after its stream", async () => {
  const { manager, log } = setup();
  const lease = await manager.acquire("mock-100hz");
  await assert.rejects(manager.unload("mock-100hz"), ModelInUseError);
  const stream = lease.open();
  await manager.reload("mock-100hz");
  assert.deepEqual(log.loads, ["mock-100hz", "mock-100hz"]);
  assert.deepEqual(log.disposed, [], "the old instance still serves a running stream");
  assert.notEqual(lease.open().model, stream.model, "new streams use the new instance");
  stream.end();
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(log.disposed, ["mock-100hz"]);
  assert.equal(await manager.unload("mock-100hz", { force: true }), true);
  assert.equal(await manager.unload("mock-100hz"), false);
  lease.release();
});
