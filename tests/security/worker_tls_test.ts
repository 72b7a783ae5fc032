/**
 * gRPC over TLS and mutual TLS between the orchestrator and real TTS worker processes (`deno task run-tts-mock`), with
 * certificates from `deno task certs:dev`'s code: the right certificate gives audio, and the wrong CA, a missing,
 * expired or self-signed client certificate, an expired server certificate and a plaintext client are each refused
 * with an error that names the problem. The real router finds a TLS worker through Redis and dials it right.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { status } from "@grpc/grpc-js";
import { makeDevCerts } from "../../scripts/certs/dev_certs.ts";
import { linkMismatch, loadWorkerClientTls, type WorkerClientTls } from "../../shared/security/worker_tls.ts";
import { WorkerRouter } from "../../orchestrator/routing/worker_router.ts";
import { WorkerDirectory } from "../../shared/registry/directory.ts";
import { RedisServer } from "../../harness/redis_server.ts";
import { WorkerProcess } from "../../harness/task_process.ts";
import { TestClient, waitFor, withWorkerTask } from "../workers/runtime/worker_harness.ts";

const SECRET = "tls-test-secret-0123456789abcdef0123456789";

/** Certificates under .cache/certs (the only place the worker task may read them from). */
async function makeCertSets() {
  await Deno.mkdir(".cache/certs", { recursive: true });
  const root = await Deno.makeTempDir({ dir: ".cache/certs", prefix: "test-" });
  const good = await makeDevCerts({ dir: `${root}/good` });
  const other = await makeDevCerts({ dir: `${root}/other` });
  const expired = await makeDevCerts({ dir: `${root}/expired`, days: -1 });
  // A self-signed client certificate (no CA at all).
  const selfSigned = { cert: `${root}/self.crt`, key: `${root}/self.key` };
  const args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2"];
  const made = await new Deno.Command("openssl", {
    args: [...args, "-keyout", selfSigned.key, "-out", selfSigned.cert, "-subj", "/CN=self-signed"],
    stderr: "null",
  }).output();
  assert.ok(made.success, "openssl makes a self-signed certificate");
  return { root, good, other, expired, selfSigned };
}

function file(path: string): Buffer {
  return Buffer.from(Deno.readFileSync(path));
}

/** Client TLS with the CA `ca` and optionally a client certificate (read as given, no validity checks). */
function clientTls(ca: string, pair?: { cert: string; key: string }): WorkerClientTls {
  return pair ? { ca: file(ca), cert: file(pair.cert), key: file(pair.key) } : { ca: file(ca) };
}

/** Health of a worker through `client`, or the gRPC error it got; the client is closed after. */
async function healthOrError(address: string, security: ConstructorParameters<typeof TestClient>[1]) {
  const client = new TestClient(address, security);
  try {
    return { status: await client.health(), error: null };
  } catch (error) {
    return { status: null, error: error as Error & { code: number } };
  } finally {
    client.close();
  }
}

async function assertRefused(address: string, security: ConstructorParameters<typeof TestClient>[1], why: RegExp) {
  const { status: got, error } = await healthOrError(address, security);
  assert.equal(got, null, `expected a refusal matching ${why}, got ${got}`);
  assert.equal(error!.code, status.UNAVAILABLE, error!.message);
  assert.match(error!.message, why);
}

/** `openssl s_client` against the port: the negotiated protocol line and the verification result. */
async function sClient(port: number, ca: string, extra: string[] = []): Promise<string> {
  const out = await new Deno.Command("openssl", {
    args: ["s_client", "-connect", `127.0.0.1:${port}`, "-alpn", "h2", "-CAfile", ca, ...extra],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
}

Deno.test("worker gRPC over TLS and mutual TLS: right certificates work, every wrong one is refused by name", async (t) => {
  const certs = await makeCertSets();
  try {
    await t.step("TLS only: audio flows, the wire is TLS 1.3, plaintext and a wrong CA are refused", async () => {
      const env = {
        WORKER_TLS_CERT: certs.good.workerCert,
        WORKER_TLS_KEY: certs.good.workerKey,
        // grpc-js's fallback CA list for a server without one: the whole system bundle made Deno's TLS server send a
        // CertificateRequest too large for any client (docs/SECURITY.md); the worker must not be affected by it.
        GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: "/etc/ssl/certs/ca-certificates.crt",
      };
      await withWorkerTask("run-tts-mock", env, 30_000, async (worker, client) => {
        await client.startSession("tls-1");
        const result = await client.synthesize("tls-1", ["Hello over TLS."]);
        assert.equal(result.error, null);
        assert.ok(result.frames.length > 5, `${result.frames.length} frames`);
        const caps = await client.capabilities();
        assert.ok(caps.workerName);

        const wire = await sClient(worker.port, certs.good.caCert);
        assert.match(wire, /New, TLSv1\.3, Cipher is/);
        assert.match(wire, /ALPN protocol: h2/);
        assert.match(wire, /Verify return code: 0 \(ok\)/);
        const tls12 = await sClient(worker.port, certs.good.caCert, ["-tls1_2"]);
        assert.match(tls12, /New, TLSv1\.2, Cipher is/, "TLS 1.2 clients are served too");
        const tls11 = await sClient(worker.port, certs.good.caCert, ["-tls1_1"]);
        assert.doesNotMatch(tls11, /New, TLSv1/, "nothing below TLS 1.2 is accepted");

        await assertRefused(`127.0.0.1:${worker.port}`, {}, /No connection established/);
        await waitFor(
          () => /refused \d+ TLS connection\(s\): the client does not speak TLS/.test(worker.output),
          "log",
        );
        // A worker whose certificate is not signed by the client's CA is refused by the client, by name.
        await assertRefused(
          `127.0.0.1:${worker.port}`,
          { clientTls: clientTls(certs.other.caCert) },
          /unable to verify the first certificate/,
        );
      }, { clientTls: clientTls(certs.good.caCert) });
    });

    await t.step(
      "mutual TLS + WORKER_RPC_SECRET: only a CA-signed, valid client certificate with the secret gets audio",
      async () => {
        const env = {
          WORKER_TLS_CERT: certs.good.workerCert,
          WORKER_TLS_KEY: certs.good.workerKey,
          WORKER_TLS_CA: certs.good.caCert,
          WORKER_RPC_SECRET: SECRET,
        };
        const right = { cert: certs.good.clientCert, key: certs.good.clientKey };
        const security = { clientTls: clientTls(certs.good.caCert, right), rpcSecret: SECRET };
        await withWorkerTask("run-tts-mock", env, 30_000, async (worker, client) => {
          const address = `127.0.0.1:${worker.port}`;
          await client.startSession("mtls-1");
          const result = await client.synthesize("mtls-1", ["Hello over mutual TLS."]);
          assert.equal(result.error, null);
          assert.ok(result.frames.length > 5, `${result.frames.length} frames`);

          await assertRefused(address, { clientTls: clientTls(certs.good.caCert) }, /No connection established/);
          await waitFor(
            () => /refused 1 TLS connection\(s\): the client sent no certificate/.test(worker.output),
            "log",
          );
          await assertRefused(
            address,
            { clientTls: clientTls(certs.good.caCert, { cert: certs.other.clientCert, key: certs.other.clientKey }) },
            /No connection established/,
          );
          await assertRefused(
            address,
            {
              clientTls: clientTls(certs.good.caCert, { cert: certs.expired.clientCert, key: certs.expired.clientKey }),
            },
            /No connection established/,
          );
          await assertRefused(
            address,
            { clientTls: clientTls(certs.good.caCert, certs.selfSigned) },
            /No connection established/,
          );
          // The three above fail alike on the worker (one line a minute per reason, with the count).
          await waitFor(
            () => /TLS connection\(s\): the handshake failed: the client's certificate/.test(worker.output),
            "log",
          );
          await assertRefused(address, {}, /No connection established/);

          // TLS does not replace the call credential: a good certificate without the secret is still refused.
          const noSecret = new TestClient(address, { clientTls: clientTls(certs.good.caCert, right) });
          try {
            await assert.rejects(noSecret.capabilities(), (error: Error & { code: number }) => {
              assert.equal(error.code, status.UNAUTHENTICATED);
              assert.match(error.message, /WORKER_RPC_SECRET/);
              return true;
            });
          } finally {
            noSecret.close();
          }
          const wire = await sClient(worker.port, certs.good.caCert, ["-cert", right.cert, "-key", right.key]);
          assert.match(wire, /New, TLSv1\.3, Cipher is/);
        }, security);
      },
    );

    await t.step(
      "an expired server certificate or a key that is not the certificate's stops the worker at start",
      async () => {
        for (
          const [env, why] of [
            [{ WORKER_TLS_CERT: certs.expired.workerCert, WORKER_TLS_KEY: certs.expired.workerKey }, /expired on/],
            [{ WORKER_TLS_CERT: certs.good.workerCert, WORKER_TLS_KEY: certs.other.workerKey }, /is not the key of/],
            [{ WORKER_TLS_CERT: certs.good.workerCert }, /WORKER_TLS_KEY[^\n]*required when WORKER_TLS_CERT/],
          ] as const
        ) {
          const worker = WorkerProcess.start("run-tts-mock", { REDIS_URL: "redis://127.0.0.1:1", ...env });
          const exit = await worker.status;
          await worker.close();
          assert.equal(exit.code, 1, worker.output);
          assert.match(worker.output, why);
        }
      },
    );

    await t.step("the router finds a mutual-TLS worker through Redis and dials it over TLS", async () => {
      const redis = await RedisServer.start();
      const worker = WorkerProcess.start("run-tts-mock", {
        REDIS_URL: redis.url,
        WORKER_NAME: "mtls-worker",
        WORKER_HEARTBEAT_MS: "200",
        WORKER_TLS_CERT: certs.good.workerCert,
        WORKER_TLS_KEY: certs.good.workerKey,
        WORKER_TLS_CA: certs.good.caCert,
        WORKER_RPC_SECRET: SECRET,
      });
      const directory = new WorkerDirectory({ redisUrl: redis.url, signingSecret: SECRET });
      const plainDirectory = new WorkerDirectory({ redisUrl: redis.url, signingSecret: SECRET });
      const tls = loadWorkerClientTls({
        ORCHESTRATOR_WORKER_TLS_CA: certs.good.caCert,
        ORCHESTRATOR_WORKER_TLS_CERT: certs.good.clientCert,
        ORCHESTRATOR_WORKER_TLS_KEY: certs.good.clientKey,
      });
      const router = new WorkerRouter({ directory, security: { rpcSecret: SECRET, clientTls: tls } });
      const plainRouter = new WorkerRouter({ directory: plainDirectory, security: { rpcSecret: SECRET } });
      const noCertRouter = new WorkerRouter({
        directory: plainDirectory,
        security: { rpcSecret: SECRET, clientTls: { ca: tls!.ca } },
      });
      try {
        assert.ok(await directory.start() && await plainDirectory.start(), "Redis answers");
        await waitFor(() => directory.list().length === 1, "the worker's registry record", 30_000);
        assert.equal(directory.list()[0].tls, "mtls", "the signed record says the worker requires mutual TLS");

        const stream = await router.openStream({ sessionId: "routed-mtls" });
        stream.push("Hello through the router.", { flush: true });
        stream.end();
        let frames = 0;
        for await (const _frame of stream) frames++;
        assert.ok(frames > 5, `${frames} frames through the router`);

        // An orchestrator without TLS settings does not dial it in plaintext; it says what to set.
        await waitFor(() => plainDirectory.list().length === 1, "the record in the second directory", 10_000);
        await assert.rejects(
          plainRouter.openStream({ sessionId: "plain" }),
          /not used: mtls-worker: it serves gRPC over TLS \(set ORCHESTRATOR_WORKER_TLS_CA/,
        );
        // One with the CA but no client certificate does not try a worker that requires one.
        await assert.rejects(
          noCertRouter.openStream({ sessionId: "no-cert" }),
          /mtls-worker: it requires a client certificate \(set ORCHESTRATOR_WORKER_TLS_CERT/,
        );
      } finally {
        worker.kill("SIGTERM");
        await worker.close(false);
        await router.close();
        await plainRouter.close();
        await noCertRouter.close();
        await directory.stop();
        await plainDirectory.stop();
        await redis.stop();
      }
    });
  } finally {
    await Deno.remove(certs.root, { recursive: true });
  }
});

Deno.test("a TLS orchestrator never dials a plaintext worker, and a plaintext one never a TLS worker", () => {
  const ca = { ca: Buffer.from("ca") };
  const withCert = { ...ca, cert: Buffer.from("c"), key: Buffer.from("k") };
  assert.match(linkMismatch("off", ca)!, /serves plaintext gRPC and ORCHESTRATOR_WORKER_TLS_CA is set/);
  assert.match(linkMismatch("tls", undefined)!, /set ORCHESTRATOR_WORKER_TLS_CA/);
  assert.match(linkMismatch("mtls", ca)!, /requires a client certificate/);
  assert.equal(linkMismatch("off", undefined), null);
  assert.equal(linkMismatch("tls", ca), null);
  assert.equal(linkMismatch("tls", withCert), null);
  assert.equal(linkMismatch("mtls", withCert), null);
});
