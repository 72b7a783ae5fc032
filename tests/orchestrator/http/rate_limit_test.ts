/** The per-client rate limit and the client-address rules behind a proxy. */
import assert from "node:assert/strict";
import { RateLimiter } from "../../../orchestrator/http/rate_limit.ts";
import {
  clientAddress,
  isPrivateAddress,
  publicOrigin,
  TrustedProxies,
} from "../../../orchestrator/http/request_origin.ts";

Deno.test("rate limit: a burst, then one request per refill interval, per key", () => {
  let now = 0;
  const limiter = new RateLimiter({ perMinute: 6, burst: 2, now: () => now });
  assert.deepEqual(limiter.take("a"), { allowed: true });
  assert.deepEqual(limiter.take("a"), { allowed: true });
  assert.deepEqual(limiter.take("a"), { allowed: false, retryAfterSeconds: 10 });
  assert.deepEqual(limiter.take("b"), { allowed: true });
  now += 10_000;
  assert.deepEqual(limiter.take("a"), { allowed: true });
  assert.equal(limiter.take("a").allowed, false);
});

Deno.test("rate limit: the table stays bounded by forgetting idle and then oldest clients", () => {
  let now = 0;
  const limiter = new RateLimiter({ perMinute: 60, burst: 1, maxKeys: 100, now: () => now });
  for (let i = 0; i < 1_000; i++) {
    limiter.take(`client-${i}`);
    now += 1;
  }
  assert.ok(limiter.size <= 101, `${limiter.size} keys`);
  assert.throws(() => new RateLimiter({ perMinute: 0, burst: 1 }), /perMinute > 0/);
});

Deno.test("client address: forwarded headers count only from a TRUSTED_PROXIES peer (default loopback)", () => {
  const request = new Request("http://x/", {
    headers: {
      "x-forwarded-for": "1.2.3.4, 203.0.113.9",
      "x-forwarded-proto": "https",
      "x-forwarded-host": "v.example:8443",
    },
  });
  assert.equal(clientAddress(request, "127.0.0.1"), "203.0.113.9", "the entry the proxy appended");
  assert.equal(clientAddress(request, "198.51.100.1"), "198.51.100.1", "a public peer cannot claim another address");
  assert.equal(clientAddress(request, "10.1.2.3"), "10.1.2.3", "a private peer is not a proxy unless configured");
  assert.equal(publicOrigin(request, "127.0.0.1").origin, "https://v.example:8443");
  assert.equal(publicOrigin(request, "10.1.2.3").origin, "http://x");
  const compose = new TrustedProxies(["10.0.0.0/8", "172.16.0.0/12"]);
  assert.equal(clientAddress(request, "172.20.0.5", compose), "203.0.113.9");
  assert.equal(publicOrigin(request, "10.1.2.3", compose).origin, "https://v.example:8443");
  assert.equal(clientAddress(request, "127.0.0.1", compose), "127.0.0.1", "loopback is no longer listed");
  const v6 = new TrustedProxies(["fd00::/8", "::1"]);
  assert.equal(clientAddress(request, "fd12::3", v6), "203.0.113.9");
  assert.equal(clientAddress(request, "fe80::1", v6), "fe80::1");
  assert.equal(clientAddress(request, "::1", v6), "203.0.113.9");
  for (const a of ["127.0.0.1", "10.0.0.1", "172.20.1.1", "192.168.1.1", "::1", "fd00::1", "::ffff:127.0.0.1"]) {
    assert.ok(isPrivateAddress(a), a);
  }
  for (const a of ["8.8.8.8", "172.32.0.1", "2001:db8::1", "not-an-ip"]) assert.ok(!isPrivateAddress(a), a);
});
