import assert from "node:assert/strict";
import { createRoutingPolicy } from "../../../orchestrator/routing/policies/mod.ts";
import type { RoutingRequest, WorkerCandidate } from "../../../orchestrator/routing/policy.ts";

function candidate(name: string, overrides: Partial<WorkerCandidate> = {}): WorkerCandidate {
  return {
    name,
    address: `127.0.0.1:${7000 + name.charCodeAt(name.length - 1)}`,
    resident: true,
    activeSessions: 0,
    maxSessions: 8,
    queueDepth: 0,
    localStreams: 0,
    isStatic: false,
    ...overrides,
  };
}

function request(key: string): RoutingRequest {
  return { sessionId: key, modelId: "mock-440hz", affinityKey: key };
}

Deno.test("least_loaded picks the lowest share of busy slots, then the shortest queue", () => {
  const policy = createRoutingPolicy("least_loaded");
  const workers = [
    candidate("a", { activeSessions: 4, maxSessions: 8 }),
    candidate("b", { activeSessions: 3, maxSessions: 4 }),
    candidate("c", { activeSessions: 1, maxSessions: 2 }),
  ];
  assert.equal(policy.choose(workers, request("s")).name, "a", "4/8 beats 3/4 and 1/2");
  const tied = [
    candidate("a", { activeSessions: 2, queueDepth: 3 }),
    candidate("b", { activeSessions: 2, queueDepth: 1 }),
  ];
  assert.equal(policy.choose(tied, request("s")).name, "b");
});

Deno.test("least_loaded counts streams this orchestrator just opened, before the registry reports them", () => {
  const policy = createRoutingPolicy("least_loaded");
  const workers = [candidate("a", { localStreams: 2 }), candidate("b", { localStreams: 1 })];
  assert.equal(policy.choose(workers, request("s")).name, "b");
});

Deno.test("least_loaded prefers a worker with the model resident over an idle one that must load it", () => {
  const policy = createRoutingPolicy("least_loaded");
  const workers = [candidate("a", { resident: false }), candidate("b", { resident: true, activeSessions: 5 })];
  assert.equal(policy.choose(workers, request("s")).name, "b");
  // ...unless the resident one is full.
  const full = [candidate("a", { resident: false }), candidate("b", { activeSessions: 8 })];
  assert.equal(policy.choose(full, request("s")).name, "a");
});

Deno.test("round_robin rotates through the workers and stays fair when one joins", () => {
  const policy = createRoutingPolicy("round_robin");
  const three = [candidate("a"), candidate("b"), candidate("c")];
  const picks = Array.from({ length: 6 }, (_, i) => policy.choose(three, request(`s${i}`)).name);
  assert.deepEqual(picks, ["a", "b", "c", "a", "b", "c"]);
  const four = [candidate("a"), candidate("b"), candidate("bb"), candidate("c")];
  policy.choose(four, request("x")); // a
  assert.equal(policy.choose(four, request("y")).name, "b");
  assert.equal(policy.choose(four, request("z")).name, "bb");
});

Deno.test("round_robin skips full workers", () => {
  const policy = createRoutingPolicy("round_robin");
  const workers = [candidate("a"), candidate("b", { activeSessions: 8 }), candidate("c")];
  const picks = Array.from({ length: 4 }, (_, i) => policy.choose(workers, request(`s${i}`)).name);
  assert.deepEqual(picks, ["a", "c", "a", "c"]);
});

Deno.test("affinity maps a key to the same worker every time, whatever the candidate order", () => {
  const policy = createRoutingPolicy("affinity");
  const workers = [candidate("a"), candidate("b"), candidate("c")];
  for (const key of ["user-1", "user-2", "user-3", "user-4"]) {
    const first = policy.choose(workers, request(key)).name;
    assert.equal(policy.choose([...workers].reverse(), request(key)).name, first);
    assert.equal(createRoutingPolicy("affinity").choose(workers, request(key)).name, first, "a fresh instance agrees");
  }
});

Deno.test("affinity moves only the keys of a worker that left, and spreads keys over all workers", () => {
  const policy = createRoutingPolicy("affinity");
  const all = [candidate("a"), candidate("b"), candidate("c")];
  const keys = Array.from({ length: 300 }, (_, i) => `session-${i}`);
  const before = new Map(keys.map((k) => [k, policy.choose(all, request(k)).name]));
  const counts = new Map<string, number>();
  for (const name of before.values()) counts.set(name, (counts.get(name) ?? 0) + 1);
  for (const name of ["a", "b", "c"]) assert.ok((counts.get(name) ?? 0) > 60, `uneven spread: ${[...counts]}`);
  const withoutB = all.filter((c) => c.name !== "b");
  for (const key of keys) {
    const after = policy.choose(withoutB, request(key)).name;
    if (before.get(key) !== "b") assert.equal(after, before.get(key), `${key} moved although its worker stayed`);
  }
});

Deno.test("an unknown policy name is refused with the list of valid ones", () => {
  assert.throws(
    () => createRoutingPolicy("fastest" as never),
    /unknown routing policy "fastest" \(use least_loaded, round_robin or affinity\)/,
  );
});
