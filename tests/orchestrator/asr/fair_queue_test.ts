/**
 * The ASR fair queue's rules: finals first, least-served session next, idle time earns no credit, a bounded backlog
 * that drops the oldest partials and never a final.
 *
 * @module
 */
import assert from "node:assert/strict";
import { FairAsrQueue } from "../../../orchestrator/asr/fair_queue.ts";

/** Runs every queued job in order, charging `costOf(item)` ms each; returns the order. */
function drain(queue: FairAsrQueue<string>, costOf: (item: string) => number = () => 100): string[] {
  const order: string[] = [];
  for (let job = queue.next(); job; job = queue.next()) {
    order.push(job.item);
    queue.charge(job.owner, costOf(job.item));
  }
  return order;
}

Deno.test("fair queue: a session's final goes before another session's backlog of finals", () => {
  const queue = new FairAsrQueue<string>(64);
  for (let i = 1; i <= 6; i++) queue.add("noisy", "final", `noisy-${i}`);
  const first = queue.next()!;
  queue.add("quiet", "final", "quiet-1"); // arrives while noisy-1 runs
  queue.charge(first.owner, 300);
  assert.equal(queue.next()!.item, "quiet-1");
});

Deno.test("fair queue: sessions share engine time, not job counts", () => {
  const queue = new FairAsrQueue<string>(64);
  for (let i = 1; i <= 3; i++) queue.add("long", "final", `long-${i}`);
  for (let i = 1; i <= 6; i++) queue.add("short", "final", `short-${i}`);
  const order = drain(queue, (item) => item.startsWith("long") ? 300 : 100);
  // After each 300 ms job of "long", "short" gets about three 100 ms jobs.
  assert.deepEqual(order, [
    "long-1",
    "short-1",
    "short-2",
    "short-3",
    "long-2",
    "short-4",
    "short-5",
    "short-6",
    "long-3",
  ]);
});

Deno.test("fair queue: finals go before every partial, of any session", () => {
  const queue = new FairAsrQueue<string>(64);
  queue.add("a", "partial", "a-partial");
  queue.add("b", "partial", "b-partial");
  queue.add("b", "final", "b-final");
  queue.add("a", "final", "a-final");
  assert.deepEqual(drain(queue), ["a-final", "b-final", "a-partial", "b-partial"]);
});

Deno.test("fair queue: a session that was idle starts level with the busy ones, it banks no credit", () => {
  const queue = new FairAsrQueue<string>(64);
  queue.add("busy", "final", "busy-1");
  drain(queue, () => 10_000); // busy has used 10 s; the lane is forgotten when idle
  queue.add("busy", "final", "busy-2");
  queue.add("busy", "final", "busy-3");
  const running = queue.next()!; // busy-2 runs
  queue.add("late", "final", "late-1");
  queue.add("late", "final", "late-2");
  queue.charge(running.owner, 100);
  // late joined at busy's level (not at 0), so after one job each they alternate instead of late taking all.
  assert.deepEqual(drain(queue), ["late-1", "busy-3", "late-2"]);
});

Deno.test("fair queue: past the backlog bound the oldest partials are dropped and finals never", () => {
  const queue = new FairAsrQueue<string>(3);
  assert.deepEqual(queue.add("s", "partial", "p1"), []);
  assert.deepEqual(queue.add("s", "partial", "p2"), []);
  assert.deepEqual(queue.add("s", "final", "f1"), []);
  assert.deepEqual(queue.add("s", "partial", "p3"), ["p1"]);
  assert.deepEqual(queue.add("s", "final", "f2"), ["p2"]);
  assert.deepEqual(queue.add("s", "final", "f3"), ["p3"]);
  assert.deepEqual(queue.add("s", "final", "f4"), [], "only finals left: they all stay, over the bound");
  assert.equal(queue.size, 4);
  queue.add("other", "partial", "o1"); // another session's lane has its own bound
  assert.deepEqual(drain(queue), ["f1", "f2", "f3", "f4", "o1"]);
});

Deno.test("fair queue: a removed job is not served, and an empty queue has no next job", () => {
  const queue = new FairAsrQueue<string>(4);
  queue.add("s", "final", "keep");
  queue.add("s", "final", "gone");
  assert.equal(queue.remove((item) => item === "gone"), "gone");
  assert.equal(queue.remove((item) => item === "gone"), undefined);
  assert.deepEqual(drain(queue), ["keep"]);
  assert.equal(queue.next(), undefined);
  assert.throws(() => new FairAsrQueue(0), /positive integer/);
});
