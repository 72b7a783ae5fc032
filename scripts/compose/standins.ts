/**
 * Local stand-ins for the third-party base images that docker-compose.yml and docker/*.Dockerfile name, for machines
 * that cannot reach an image registry. Each is built on our own Debian root (debian_root.ts) under the very tag the
 * compose file or Dockerfile uses, with the same program (from Debian or our own build), entry point, user, paths and
 * tools that the official image documents. Where a stand-in differs from the official image, its `differs` says how
 * (docs/DEPLOYMENT.md lists them). Every stand-in carries the label `voice-chat.stand-in` so `docker image inspect`
 * tells it from the real thing.
 *
 * @module
 */
import { DEBIAN_IMAGE } from "./debian_root.ts";

/** One stand-in image recipe. */
export interface StandIn {
  /** The tag the compose file or a Dockerfile names. */
  tag: string;
  /** What the image runs, and from where. */
  contents: string;
  /** How it differs from the official image. */
  differs: string;
  /** The Dockerfile (built with the host network, context = a folder holding `files`). */
  dockerfile: string;
  /** Files put into the build context: name → source path on this machine. */
  files?: Record<string, string>;
  /** Scripts put into the build context: name → text. */
  scripts?: Record<string, string>;
}

const APT = "apt-get update && apt-get install -y --no-install-recommends";
const APT_CLEAN = "rm -rf /var/lib/apt/lists/*";

/** The official redis image's entry point, with the protected-mode default its build patches in. */
const REDIS_ENTRYPOINT = `#!/bin/sh
# Like the official redis image: arguments that start with "-" or name a .conf file go to redis-server; as root it
# takes /data for the redis user and drops privileges. Protected mode is off by default, as the official build's
# patched default (the container network, not a loopback-only rule, is what limits access).
set -e
if [ "\${1#-}" != "$1" ] || [ "\${1%.conf}" != "$1" ]; then set -- redis-server "$@"; fi
if [ "$1" = "redis-server" ]; then
  shift
  set -- redis-server --protected-mode no "$@"
  if [ "$(id -u)" = "0" ]; then
    find . \\! -user redis -exec chown redis '{}' +
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
  fi
fi
umask 0077
exec "$@"
`;

/** The official denoland/deno image's entry point: a Deno subcommand or a flag runs `deno`, anything else runs as is. */
const DENO_ENTRYPOINT = `#!/bin/sh
if [ "\${1#-}" != "$1" ]; then exec deno "$@"; fi
case "$1" in
  bench|bundle|cache|check|compile|completions|coverage|doc|eval|fmt|help|info|init|install|jupyter|lint|lsp|publish|\\
repl|run|serve|task|test|types|uninstall|upgrade|vendor) exec deno "$@" ;;
esac
exec "$@"
`;

/** The stand-ins for a given LiveKit binary and Deno binary (both already on this machine). */
export function standIns(
  options: { livekitBinary: string; livekitVersion: string; denoBinary: string; denoVersion: string },
): StandIn[] {
  const from = `FROM ${DEBIAN_IMAGE}`;
  const label = (tag: string) => `LABEL voice-chat.stand-in="${tag}"`;
  return [
    {
      tag: "redis:7.2.5-alpine",
      contents: "Debian bookworm's redis-server 7.0.x and redis-cli",
      differs:
        "Redis 7.0 from Debian instead of 7.2.5 on Alpine; setpriv instead of gosu; same entry point, /data, user",
      scripts: { "docker-entrypoint.sh": REDIS_ENTRYPOINT },
      dockerfile: `${from}
${label("redis:7.2.5-alpine")}
RUN ${APT} redis-server redis-tools && ${APT_CLEAN} && mkdir /data && chown redis:redis /data
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod 755 /usr/local/bin/docker-entrypoint.sh
VOLUME /data
WORKDIR /data
EXPOSE 6379
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]
`,
    },
    {
      tag: `livekit/livekit-server:${options.livekitVersion}`,
      contents: `our livekit-server ${options.livekitVersion} (Go build from setup), wget for the healthcheck`,
      differs: "Debian instead of Alpine underneath (wget from Debian, not BusyBox)",
      files: { "livekit-server": options.livekitBinary },
      dockerfile: `${from}
${label(`livekit/livekit-server:${options.livekitVersion}`)}
RUN ${APT} wget && ${APT_CLEAN}
COPY livekit-server /livekit-server
EXPOSE 7880 7881 7882/udp
ENTRYPOINT ["/livekit-server"]
`,
    },
    {
      tag: "caddy:2.8.4-alpine",
      contents: "Debian bookworm's caddy 2.6.x, setcap'd like the official image, wget",
      differs: "Caddy 2.6 from Debian instead of 2.8.4 on Alpine; same paths (/etc/caddy, /data, /config, /srv), " +
        "XDG dirs, file capability and command",
      dockerfile: `${from}
${label("caddy:2.8.4-alpine")}
RUN ${APT} caddy libcap2-bin wget mailcap && ${APT_CLEAN} \\
 && setcap cap_net_bind_service=+ep /usr/bin/caddy \\
 && mkdir -p /config/caddy /data/caddy /etc/caddy /usr/share/caddy /srv
ENV XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data
EXPOSE 80 443 443/udp 2019
WORKDIR /srv
CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
`,
    },
    {
      tag: `denoland/deno:debian-${options.denoVersion}`,
      contents: `Deno ${options.denoVersion} (the npm package's binary), tini, user deno (1993)`,
      differs: "none in use: same /usr/bin/deno, DENO_DIR, user, tini entry point (Debian's tini)",
      files: { deno: options.denoBinary },
      scripts: { "docker-entrypoint.sh": DENO_ENTRYPOINT },
      dockerfile: `${from}
${label(`denoland/deno:debian-${options.denoVersion}`)}
RUN ${APT} tini && ${APT_CLEAN} && ln -s /usr/bin/tini /tini \\
 && useradd --uid 1993 --user-group deno && mkdir /deno-dir/ && chown deno:deno /deno-dir/
ENV DENO_DIR=/deno-dir/ DENO_INSTALL_ROOT=/usr/local DENO_VERSION=${options.denoVersion}
COPY deno /usr/bin/deno
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod 755 /usr/bin/deno /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["/tini", "--", "docker-entrypoint.sh"]
CMD ["eval", "console.log('Welcome to Deno!')"]
`,
    },
    {
      tag: `denoland/deno:bin-${options.denoVersion}`,
      contents: `only /deno (Deno ${options.denoVersion})`,
      differs: "none",
      files: { deno: options.denoBinary },
      dockerfile: `FROM scratch
${label(`denoland/deno:bin-${options.denoVersion}`)}
COPY deno /deno
`,
    },
    {
      tag: "nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04",
      contents: "Debian bookworm with the CUDA image's NVIDIA_* environment",
      differs: "no CUDA runtime or cuDNN libraries (no registry serves them here) and Debian instead of Ubuntu: " +
        "the CUDA provider cannot load, so only the CPU override runs on it",
      dockerfile: `${from}
${label("nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04")}
ENV NVIDIA_VISIBLE_DEVICES=all NVIDIA_DRIVER_CAPABILITIES=compute,utility NVIDIA_REQUIRE_CUDA="cuda>=12.8" \\
    CUDA_VERSION=12.8.1
CMD ["bash"]
`,
    },
  ];
}
