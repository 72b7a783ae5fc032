/**
 * The health probes speak TLS like the orchestrator: `scripts/grpc_health_probe.ts` (the compose healthcheck, run as
 * a process) and the dev runner's probe both answer SERVING for a real TLS and a real mutual-TLS mock worker when given
 * `ORCHESTRATOR_WORKER_TLS_*`, and report the worker unreachable without them (or without the client certificate).
 */
import assert from "node:assert/strict";
import { makeDevCerts } from "../../scripts/certs/dev_certs.ts";
import { closeOpenHealthClients } from "../../scripts/grpc_health_probe.ts";
import { describeProbe, runProbe } from "../../scripts/dev/health.ts";
import { readDevSettings, serviceCatalog } from "../../scripts/dev/services.ts";
import { withWorkerTask } from "../workers/runtime/worker_harness.ts";
import { loadWorkerClientTls } from "../../shared/security/worker_tls.ts";

const REPO = new URL("../../", import.meta.url).pathname;

/** The probe script as a process, with the env it is given (TLS files readable under .cache/certs only). */
async function probeProcess(address: string, env: Record<string, string>): Promise<{ code: number; output: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      `--allow-net=${address}`,
      "--allow-env=ORCHESTRATOR_WORKER_TLS_CA,ORCHESTRATOR_WORKER_TLS_CERT,ORCHESTRATOR_WORKER_TLS_KEY",
      "--ignore-env",
      "--allow-read=.cache/certs",
      "scripts/grpc_health_probe.ts",
      address,
      "",
      "3000",
    ],
    cwd: REPO,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, output: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr) };
}

Deno.test("health probes dial TLS and mutual-TLS workers with ORCHESTRATOR_WORKER_TLS_*", async (t) => {
  await Deno.mkdir(`${REPO}.cache/certs`, { recursive: true });
  const root = await Deno.makeTempDir({ dir: `${REPO}.cache/certs`, prefix: "probe-test-" });
  const certs = await makeDevCerts({ dir: `${root}/good` });
  const tlsEnv = { ORCHESTRATOR_WORKER_TLS_CA: certs.caCert };
  const mtlsEnv = {
    ...tlsEnv,
    ORCHESTRATOR_WORKER_TLS_CERT: certs.clientCert,
    ORCHESTRATOR_WORKER_TLS_KEY: certs.clientKey,
  };
  try {
    await t.step("TLS worker: SERVING with the CA, unreachable in plaintext", async () => {
      const env = { WORKER_TLS_CERT: certs.workerCert, WORKER_TLS_KEY: certs.workerKey };
      const clientTls = loadWorkerClientTls(tlsEnv)!;
      await withWorkerTask("run-tts-mock", env, 30_000, async (worker) => {
        const address = `127.0.0.1:${worker.port}`;
        const ok = await probeProcess(address, tlsEnv);
        assert.equal(ok.code, 0, ok.output);
        assert.match(ok.output, /^SERVING/);
        const plain = await probeProcess(address, {});
        assert.equal(plain.code, 1, plain.output);
        assert.match(plain.output, /^UNREACHABLE/);

        // The dev runner's worker probe, built from the same variables as the orchestrator's.
        const settings = readDevSettings({ ...tlsEnv, WORKER_GRPC_PORT: String(worker.port) });
        const tools = { deno: Deno.execPath(), livekitServer: "livekit-server", caddyfile: "Caddyfile" };
        const probe = serviceCatalog(settings, tools).worker("run-tts-mock").health!;
        assert.equal(describeProbe(probe), `grpc.health.v1 ${address} (TLS)`);
        assert.deepEqual(await runProbe(probe, 3000), { healthy: true, detail: "SERVING" });
        const plainProbe = await runProbe({ kind: "grpc", address: `localhost:${worker.port}` }, 1500);
        assert.equal(plainProbe.healthy, false, plainProbe.detail);
        // By host name: the certificate's localhost SAN is checked (no IP override).
        assert.equal(
          (await runProbe({ kind: "grpc", address: `localhost:${worker.port}`, tls: clientTls }, 3000)).healthy,
          true,
        );
      }, { clientTls });
      closeOpenHealthClients();
    });

    await t.step("mutual TLS worker: SERVING with the client certificate, unreachable without it", async () => {
      const env = { WORKER_TLS_CERT: certs.workerCert, WORKER_TLS_KEY: certs.workerKey, WORKER_TLS_CA: certs.caCert };
      await withWorkerTask("run-tts-mock", env, 30_000, async (worker) => {
        const address = `127.0.0.1:${worker.port}`;
        const ok = await probeProcess(address, mtlsEnv);
        assert.equal(ok.code, 0, ok.output);
        assert.match(ok.output, /^SERVING/);
        const noCert = await probeProcess(address, tlsEnv);
        assert.equal(noCert.code, 1, noCert.output);
        assert.match(noCert.output, /^UNREACHABLE/);

        const settings = readDevSettings({ ...mtlsEnv, WORKER_GRPC_PORT: String(worker.port) });
        const tools = { deno: Deno.execPath(), livekitServer: "livekit-server", caddyfile: "Caddyfile" };
        const probe = serviceCatalog(settings, tools).worker("run-tts-mock").health!;
        assert.equal(describeProbe(probe), `grpc.health.v1 ${address} (mTLS)`);
        assert.deepEqual(await runProbe(probe, 3000), { healthy: true, detail: "SERVING" });
      }, { clientTls: loadWorkerClientTls(mtlsEnv) });
      closeOpenHealthClients();
    });

    await t.step("a bad TLS file stops the probe with a message naming the variable", async () => {
      const bad = await probeProcess("127.0.0.1:1", { ORCHESTRATOR_WORKER_TLS_CA: certs.clientKey });
      assert.equal(bad.code, 2, bad.output);
      assert.match(bad.output, /ORCHESTRATOR_WORKER_TLS_CA=.*not a PEM certificate/);
      assert.throws(
        () => readDevSettings({ ORCHESTRATOR_WORKER_TLS_CA: `${root}/missing.crt` }),
        /ORCHESTRATOR_WORKER_TLS_CA=.*cannot read it/,
      );
    });
  } finally {
    closeOpenHealthClients();
    await Deno.remove(root, { recursive: true });
  }
});
