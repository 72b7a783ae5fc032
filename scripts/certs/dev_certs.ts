/**
 * `deno task certs:dev [--out DIR] [--days N] [--force] [NAME|IP ...]`: a local CA and the certificates for TLS and
 * mutual TLS between the orchestrator and the TTS workers, made with `openssl` (on every host, and the tool operators
 * already use to inspect certificates; Deno's WebCrypto cannot issue X.509 certificates without a new dependency).
 *
 * Writes under `DIR` (default `.cache/certs`, git-ignored), every file mode 0600:
 * - `ca.crt`, `ca.key`: the CA (P-256). Kept when it exists (certificates issued earlier stay valid) unless `--force`.
 * - `worker.crt`, `worker.key`: the workers' server certificate; SANs `localhost`, `127.0.0.1`, `::1` and every
 *   NAME or IP argument (e.g. `tts-piper 10.0.0.5`). Re-issued on every run.
 * - `orchestrator.crt`, `orchestrator.key`: the orchestrator's client certificate (mTLS). Re-issued on every run.
 *
 * Then prints the variables to set on each side.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { isIP } from "node:net";

/** Options of {@linkcode makeDevCerts}. */
export interface DevCertOptions {
  /** Folder the files go to (created 0700 if missing). */
  dir: string;
  /** Extra server names and IP addresses. */
  names?: string[];
  /** Validity of the leaf certificates in days; -1 makes an already expired one (tests). */
  days?: number;
  /** Replace an existing CA. */
  force?: boolean;
}

/** The files {@linkcode makeDevCerts} wrote. */
export interface DevCerts {
  caCert: string;
  caKey: string;
  workerCert: string;
  workerKey: string;
  clientCert: string;
  clientKey: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  let output;
  try {
    output = await new Deno.Command("openssl", { args, cwd, stdout: "piped", stderr: "piped" }).output();
  } catch (error) {
    throw new Error(`cannot run openssl (${(error as Error).message}); install it (apt-get install openssl)`);
  }
  if (!output.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(output.stderr).trim()}`);
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A SAN entry for a name or an address. */
function san(name: string): string {
  return isIP(name) ? `IP:${name}` : `DNS:${name}`;
}

/** A name or IP usable as a SAN; throws naming the bad one. */
function checkName(name: string): string {
  if (
    isIP(name) ||
    /^(?=.{1,253}$)(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/
      .test(name)
  ) {
    return name;
  }
  throw new Error(`"${name}" is neither a DNS name nor an IP address`);
}

async function issue(
  dir: string,
  stem: string,
  subject: string,
  extensions: string,
  days: number,
): Promise<void> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await openssl(["req", ...ec, "-keyout", `${stem}.key`, "-out", `${stem}.csr`, "-subj", subject], dir);
  await Deno.writeTextFile(`${dir}/${stem}.ext`, extensions);
  await openssl([
    "x509",
    "-req",
    "-in",
    `${stem}.csr`,
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-set_serial",
    `0x${crypto.randomUUID().replaceAll("-", "").slice(0, 30)}`,
    "-days",
    String(days),
    "-sha256",
    "-extfile",
    `${stem}.ext`,
    "-out",
    `${stem}.crt`,
  ], dir);
  await Deno.remove(`${dir}/${stem}.csr`);
  await Deno.remove(`${dir}/${stem}.ext`);
}

/** Makes (or re-issues) the CA, the worker certificate and the orchestrator client certificate. */
export async function makeDevCerts(options: DevCertOptions): Promise<DevCerts> {
  const dir = options.dir;
  const days = options.days ?? 365;
  const names = [...new Set(["localhost", "127.0.0.1", "::1", ...(options.names ?? []).map(checkName)])];
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  if (options.force || !exists(`${dir}/ca.crt`) || !exists(`${dir}/ca.key`)) {
    await openssl([
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
      "-days",
      String(Math.max(days, 1) * 2),
      "-sha256",
      "-subj",
      "/CN=voice-chat dev CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE,pathlen:0",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ], dir);
  }
  const leaf = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n";
  await issue(
    dir,
    "worker",
    "/CN=voice-chat tts worker",
    `${leaf}extendedKeyUsage=serverAuth\nsubjectAltName=${names.map(san).join(",")}\n`,
    days,
  );
  await issue(dir, "orchestrator", "/CN=voice-chat orchestrator", `${leaf}extendedKeyUsage=clientAuth\n`, days);
  const files = {
    caCert: `${dir}/ca.crt`,
    caKey: `${dir}/ca.key`,
    workerCert: `${dir}/worker.crt`,
    workerKey: `${dir}/worker.key`,
    clientCert: `${dir}/orchestrator.crt`,
    clientKey: `${dir}/orchestrator.key`,
  };
  for (const path of Object.values(files)) await Deno.chmod(path, 0o600);
  for (const stray of ["ca.srl"]) await Deno.remove(`${dir}/${stray}`).catch(() => {});
  return files;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: {
      out: { type: "string", default: ".cache/certs" },
      days: { type: "string", default: "365" },
      force: { type: "boolean" },
    },
    allowPositionals: true,
  });
  const days = Number(values.days);
  if (!Number.isInteger(days) || days < 1) {
    console.error(`--days ${values.days}: must be a whole number of days ≥ 1`);
    Deno.exit(2);
  }
  try {
    const files = await makeDevCerts({ dir: values.out, names: positionals, days, force: values.force });
    console.log(
      `certificates in ${values.out} (mode 0600), valid ${days} days; server names: localhost, 127.0.0.1, ::1${
        positionals.length ? `, ${positionals.join(", ")}` : ""
      }
worker:        WORKER_TLS_CERT=${files.workerCert} WORKER_TLS_KEY=${files.workerKey} WORKER_TLS_CA=${files.caCert}
orchestrator:  ORCHESTRATOR_WORKER_TLS_CA=${files.caCert} ORCHESTRATOR_WORKER_TLS_CERT=${files.clientCert} \\
               ORCHESTRATOR_WORKER_TLS_KEY=${files.clientKey}
(leave out WORKER_TLS_CA for TLS without client certificates). Keep ca.key off the servers.`,
    );
  } catch (error) {
    console.error(`certs:dev: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
