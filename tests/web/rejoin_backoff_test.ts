import assert from "node:assert/strict";
import { REJOIN_SCHEDULE, rejoinDelays } from "../../web/src/rejoin_backoff.ts";

Deno.test("rejoin backoff: the first try is at once, the next after about 250 ms, and no wait exceeds 1.25 s", () => {
  for (const random of [() => 0, () => 0.5, () => 0.999, Math.random]) {
    const delays = rejoinDelays(REJOIN_SCHEDULE, random);
    assert.equal(delays[0], 0);
    assert.ok(delays[1] >= 187 && delays[1] <= 313, `second wait ${delays[1]}`);
    assert.ok(Math.max(...delays) <= 1250, `longest wait ${Math.max(...delays)}`);
  }
});

Deno.test("rejoin backoff: without jitter the waits grow 250, 500, 1000 and then stay at 1 s for about 15 s", () => {
  const delays = rejoinDelays(REJOIN_SCHEDULE, () => 0.5);
  assert.deepEqual(delays.slice(0, 5), [0, 250, 500, 1000, 1000]);
  const total = delays.reduce((a, b) => a + b, 0);
  assert.ok(total >= 15_000 && total < 16_000, `total ${total}`);
});

Deno.test("rejoin backoff: jitter spreads the users of one dead host", () => {
  const seconds = new Set(Array.from({ length: 20 }, () => rejoinDelays()[1]));
  assert.ok(seconds.size > 5, `20 pages picked only ${seconds.size} distinct second waits`);
});
