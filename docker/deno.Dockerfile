# syntax=docker/dockerfile:1
# One image for the orchestrator and the CPU TTS workers (Piper, mock): the same code base, the compose service picks
# the deno task to run. Non-root, dependencies in their own layer, every entry point compiled at build time.
#
#   docker build -f docker/deno.Dockerfile -t voice-chat/deno .
ARG DENO_VERSION=2.9.6
FROM denoland/deno:debian-${DENO_VERSION}

# pocketsphinx: the orchestrator's CPU speech recogniser (loaded over FFI when ASR_ENGINE=pocketsphinx).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpocketsphinx3 libsphinxbase3 pocketsphinx-en-us ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
RUN chown deno:deno /app
USER deno

# Dependencies first: this layer is rebuilt only when deno.json or deno.lock change. Deno runs no npm install
# scripts, so onnxruntime-node stays CPU-only (its CUDA download is skipped).
COPY --chown=deno:deno deno.json deno.lock ./
RUN deno install --frozen

COPY --chown=deno:deno . .
RUN deno cache orchestrator/main.ts workers/piper/main.ts workers/mock/main.ts \
      scripts/grpc_health_probe.ts scripts/http_health_probe.ts

# 7002 worker gRPC, 8080 orchestrator WebSocket/HTTP, 8081 orchestrator health. Compose publishes none of them.
EXPOSE 7002 8080 8081
CMD ["deno", "task", "run-orch"]
