/**
 * A certificate authority made by the test with openssl, and a certificate it signs for one host name: what an
 * operator mounts from `configs/caddy/` (cert.pem, key.pem) when `CADDY_TLS=files`.
 *
 * @module
 */

/** Paths of the CA certificate and of the served certificate and key. */
export interface LocalCa {
  caFile: string;
  certFile: string;
  keyFile: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`openssl ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
}

/** Makes `ca.pem` (kept beside, not served), `cert.pem` and `key.pem` for `host` in `dir`. */
export async function makeLocalCa(dir: string, host: string): Promise<LocalCa> {
  await Deno.mkdir(dir, { recursive: true });
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=voice-chat test CA",
    "-keyout",
    "ca-key.pem",
    "-out",
    "ca.pem",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ], dir);
  await openssl([
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-subj",
    `/CN=${host}`,
    "-keyout",
    "key.pem",
    "-out",
    "cert.csr",
  ], dir);
  await Deno.writeTextFile(
    `${dir}/ext.cnf`,
    `subjectAltName=DNS:${host}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`,
  );
  await openssl([
    "x509",
    "-req",
    "-in",
    "cert.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca-key.pem",
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    "ext.cnf",
    "-out",
    "cert.pem",
  ], dir);
  await Deno.chmod(`${dir}/key.pem`, 0o644); // read by Caddy in its container
  for (const scratch of ["cert.csr", "ext.cnf", "ca-key.pem", "ca.srl"]) {
    await Deno.remove(`${dir}/${scratch}`).catch(() => {});
  }
  return { caFile: `${dir}/ca.pem`, certFile: `${dir}/cert.pem`, keyFile: `${dir}/key.pem` };
}
