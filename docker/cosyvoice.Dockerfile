# syntax=docker/dockerfile:1
# The CosyVoice 2 worker on an NVIDIA GPU: CUDA 12 runtime + cuDNN 9 (what onnxruntime 1.30's CUDA execution provider
# links against) with the Deno binary copied from the official denoland/deno:bin image. Non-root.
#
#   docker build -f docker/cosyvoice.Dockerfile -t voice-chat/cosyvoice .
# Run it with a GPU (compose reserves one): docker run --gpus all ... ; check with nvidia-smi inside the container.
ARG DENO_VERSION=2.9.6
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

FROM denoland/deno:bin-${DENO_VERSION} AS deno

FROM ${CUDA_IMAGE}
COPY --from=deno /deno /usr/local/bin/deno
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
ENV DENO_DIR=/deno-dir
RUN useradd --uid 1993 --user-group --create-home deno \
 && mkdir -p /app /deno-dir && chown deno:deno /app /deno-dir
WORKDIR /app
USER deno

# Dependencies first (cached until deno.json/deno.lock change). onnxruntime-node's install script is the one npm
# script allowed to run: with ONNXRUNTIME_NODE_INSTALL=cuda12 it downloads the CUDA 12 execution provider
# (libonnxruntime_providers_cuda.so, _shared.so, _tensorrt.so) from nuget.org for exactly the installed ORT version.
# The `ls` makes the build fail loudly if the provider did not arrive.
COPY --chown=deno:deno deno.json deno.lock ./
RUN ONNXRUNTIME_NODE_INSTALL=cuda12 deno install --frozen --allow-scripts=npm:onnxruntime-node \
 && ls -l node_modules/.deno/onnxruntime-node@*/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so \
          node_modules/.deno/onnxruntime-node@*/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_shared.so

COPY --chown=deno:deno . .
RUN deno cache workers/cosyvoice/main.ts scripts/grpc_health_probe.ts

EXPOSE 7002
ENTRYPOINT ["tini", "--"]
CMD ["deno", "task", "run-tts-cosyvoice"]
