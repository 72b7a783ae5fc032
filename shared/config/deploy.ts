/**
 * Configuration of how the stack is deployed rather than of one service: the host name and ports Caddy serves (read
 * by the Caddyfile and the dev runner) and the values `docker-compose.yml` substitutes (read by compose from `.env`).
 * Listed with the service schemas so that `.env.example`, docs/CONFIGURATION.md and the parity test cover them too;
 * the dev runner validates them with this schema before it starts anything.
 *
 * @module
 */
import { z } from "zod";
import { enumField, envField, hostField, modelIdField, portField, stringField, urlField } from "./fields.ts";
import { type Env, loadConfig, type LoadConfigResult } from "./load.ts";

/** Fields of the deployment, keyed by variable name. */
export const deployFields = z.object({
  /** Host name Caddy serves and issues its certificate for. */
  PUBLIC_HOST: hostField("localhost"),
  /** Caddy's HTTPS port for the web client, the API and the WebSocket. */
  CADDY_WEB_PORT: portField(8443),
  /** Caddy's HTTPS port for LiveKit signalling. */
  CADDY_LIVEKIT_PORT: portField(8444),
  /** Compose production file: host port of Caddy's plain-HTTP listener (ACME's HTTP challenge). */
  CADDY_HTTP_PORT: portField(80),
  /** Where Caddy's certificates come from: its internal CA, files mounted at /etc/caddy/certs, or ACME. */
  CADDY_TLS: enumField(["internal", "files", "acme"], "internal"),
  /** Address LiveKit advertises for media under compose (the host's public IP on a server). */
  LIVEKIT_NODE_IP: hostField("127.0.0.1"),
  /** Compose: host port (same inside) of LiveKit's ICE/UDP media. */
  LIVEKIT_RTC_UDP_PORT: portField(7882),
  /** Compose: host port of LiveKit's ICE/TCP media. */
  LIVEKIT_RTC_TCP_PORT: portField(7881),
  /** Compose: host address the published ports bind (127.0.0.1 keeps the stack to this machine). */
  COMPOSE_BIND_ADDRESS: hostField("0.0.0.0"),
  /** `REDIS_URL` the compose containers get (the bare-metal tasks read `REDIS_URL`). */
  COMPOSE_REDIS_URL: urlField("redis://redis:6379", ["redis", "rediss"]),
  /** Turns on `requirepass` in compose's Redis; put the same password in `COMPOSE_REDIS_URL`. */
  REDIS_PASSWORD: stringField(),
  /** Compose: `yes` keeps Redis's append-only file in the redis-data volume (persistence); `no` keeps nothing. */
  REDIS_APPENDONLY: enumField(["no", "yes"], "no"),
  /** Model of compose's Piper worker. */
  PIPER_MODEL: modelIdField("piper-en-us-joe-medium"),
  /** Model of compose's CosyVoice workers. */
  COSYVOICE_MODEL: modelIdField("cosyvoice2-en-base"),
  /** GPU index (or comma-separated indexes) of compose's CosyVoice worker. */
  COSYVOICE_CUDA_DEVICE: envField(
    "0",
    (raw) =>
      /^\d+(,\d+)*$/.test(raw)
        ? { value: raw }
        : { problem: "must be a GPU index or a comma-separated list of them", fix: "use e.g. 0 or 0,1" },
  ),
});

/** The deployment settings after validation. */
export type DeployConfig = z.infer<typeof deployFields>;

/** Validates the deployment variables; every problem is returned, nothing throws. */
export function loadDeployConfig(env: Env): LoadConfigResult<DeployConfig> {
  return loadConfig(deployFields, env, { service: "deploy" });
}
