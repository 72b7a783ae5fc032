/**
 * A worker with `WORKER_RPC_SECRET` refuses every TTSService call that lacks the call credential or carries a wrong
 * one (UNAUTHENTICATED), admin RPCs included, and serves the right one; the health service stays open.
 */
import assert from "node:assert/strict";
import { type ServiceError, status } from "@grpc/grpc-js";
import { ControlCommand } from "../../proto/gen/tts.ts";
import { chunk, collect, startTestWorker, TestClient } from "../workers/runtime/worker_harness.ts";

const SECRET = "rpc-secret-for-tests-0123456789abcdef";

async function code(call: Promise<unknown>): Promise<number | "ok"> {
  try {
    await call;
    return "ok";
  } catch (error) {
    return (error as ServiceError).code;
  }
}

Deno.test("worker RPC secret: calls without or with a wrong credential are UNAUTHENTICATED; the right one works", async () => {
  const worker = await startTestWorker({ security: { rpcSecret: SECRET } });
  const address = `127.0.0.1:${worker.port}`;
  const anonymous = new TestClient(address);
  const wrong = new TestClient(address, { rpcSecret: "rpc-secret-for-tests-0123456789abcdeX" });
  const right = new TestClient(address, { rpcSecret: SECRET });
  try {
    assert.equal(await anonymous.health(), "SERVING", "health stays open");
    for (const client of [anonymous, wrong]) {
      assert.equal(await code(client.startSession("intruder")), status.UNAUTHENTICATED);
      assert.equal(await code(client.unloadModel("mock-440hz", true)), status.UNAUTHENTICATED);
      assert.equal(await code(client.loadModel("mock-220hz")), status.UNAUTHENTICATED);
      assert.equal(await code(client.listModels()), status.UNAUTHENTICATED);
      assert.equal(await code(client.capabilities()), status.UNAUTHENTICATED);
      assert.equal(await code(client.endSession("anything")), status.UNAUTHENTICATED);
      const synth = await collect((() => {
        const call = client.openStream();
        call.write(chunk("anything", "hello"));
        call.end();
        return call;
      })());
      assert.equal(synth.error?.code, status.UNAUTHENTICATED);
      assert.match(synth.error?.details ?? "", /WORKER_RPC_SECRET/);
      assert.doesNotMatch(synth.error?.details ?? "", new RegExp(SECRET), "the secret is never echoed");
    }
    assert.equal(worker.core.sessions.size, 0, "nothing was started");
    assert.equal((await right.startSession("s1")).sessionId, "s1");
    assert.equal((await right.control("s1", ControlCommand.CONTROL_COMMAND_STOP)).applied, false);
    const { frames, error } = await right.synthesize("s1", ["Hello."]);
    assert.equal(error, null);
    assert.ok(frames.at(-1)?.isFinal);
    assert.equal((await right.capabilities()).activeSessions, 1);
  } finally {
    for (const client of [anonymous, wrong, right]) client.close();
    await worker.shutdown("test");
  }
});

Deno.test("worker RPC secret rotation: the worker accepts WORKER_RPC_SECRET_ACCEPT as well, nothing else", async () => {
  const next = "rpc-secret-next-for-tests-0123456789abcdef";
  const worker = await startTestWorker({ security: { rpcSecret: next, acceptedRpcSecret: SECRET } });
  const address = `127.0.0.1:${worker.port}`;
  const clients = [SECRET, next, "rpc-secret-unknown-0123456789abcdef"].map((rpcSecret) =>
    new TestClient(address, { rpcSecret })
  );
  try {
    assert.equal(await code(clients[0].startSession("old")), "ok", "the old secret, during the rotation");
    assert.equal(await code(clients[1].startSession("new")), "ok");
    assert.equal(await code(clients[2].startSession("other")), status.UNAUTHENTICATED);
  } finally {
    for (const client of clients) client.close();
    await worker.shutdown("test");
  }
});
