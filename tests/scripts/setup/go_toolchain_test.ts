import assert from "node:assert/strict";
import { ensureGo, isRecentEnough, toolchainModuleVersion } from "../../../scripts/setup/go_toolchain.ts";

Deno.test("go toolchain: only Go 1.26 or newer can build the pinned LiveKit server", () => {
  assert.equal(isRecentEnough("go1.26.8"), true);
  assert.equal(isRecentEnough("go1.27rc1"), true);
  assert.equal(isRecentEnough("go1.19.8"), false, "Debian 12's own Go");
  assert.equal(isRecentEnough("go1.25.3"), false);
  assert.equal(isRecentEnough("devel"), false);
});

Deno.test("go toolchain: the module version names the release and this machine's architecture", () => {
  assert.match(toolchainModuleVersion("1.26.8"), /^v0\.0\.1-go1\.26\.8\.linux-(amd64|arm64)$/);
});

Deno.test("go toolchain: a usable installed Go is used as it is, nothing is fetched", async () => {
  const go = await ensureGo({ proxy: "http://127.0.0.1:9" }); // an unreachable proxy: fetching would fail
  const out = await new Deno.Command(go, { args: ["env", "GOVERSION"], env: { GOTOOLCHAIN: "local" } }).output();
  assert.ok(isRecentEnough(new TextDecoder().decode(out.stdout)), "setup picked a Go >= 1.26");
});
