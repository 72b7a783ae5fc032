# The CosyVoice 2 worker on an NVIDIA GPU: CUDA 12 runtime + cuDNN 9 (what onnxruntime 1.30's CUDA execution provider
# links against) with the Deno binary copied from the official denoland/deno:bin image. Non-root.
#
#   docker build -f docker/cosyvoice.Dockerfile -t voice-chat/cosyvoice .
# Run it with a GPU (compose reserves one): docker run --gpus all ... ; check with nvidia-smi inside the container.
# Without a GPU, docker-compose.cosyvoice-cpu.yml runs this same image on the CPU.
ARG DENO_VERSION=2.9.6
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04
# onnxruntime-node's version in deno.lock: its CUDA provider comes from PyPI's onnxruntime-gpu of the same version
# (onnxruntime-node's own installer fetches it from a registry that may be unreachable).
ARG ORT_VERSION=1.30.0

FROM denoland/deno:bin-${DENO_VERSION} AS deno

# The CUDA execution provider libraries, out of the onnxruntime-gpu wheel (pip stays in this stage).
FROM ${CUDA_IMAGE} AS ort-cuda
ARG ORT_VERSION
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /tmp/pip \
 && /tmp/pip/bin/pip download --quiet --no-deps --only-binary=:all: -d /tmp/wheel "onnxruntime-gpu==${ORT_VERSION}" \
 && mkdir /ort && cd /tmp/wheel && python3 -m zipfile -e onnxruntime_gpu-*.whl /tmp/unpacked \
 && cp /tmp/unpacked/onnxruntime/capi/libonnxruntime_providers_cuda.so \
       /tmp/unpacked/onnxruntime/capi/libonnxruntime_providers_shared.so /ort/ \
 && rm -rf /tmp/wheel /tmp/unpacked /tmp/pip

FROM ${CUDA_IMAGE}
ARG ORT_VERSION
COPY --from=deno /deno /usr/local/bin/deno
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
ENV DENO_DIR=/deno-dir
RUN useradd --uid 1993 --user-group --create-home deno \
 && mkdir -p /app /deno-dir && chown deno:deno /app /deno-dir
WORKDIR /app
USER deno

# Dependencies first (cached until deno.json/deno.lock change), then the CUDA provider next to onnxruntime-node's
# binding, where onnxruntime looks for it. The `ls` makes the build fail loudly if the versions do not match.
COPY --chown=deno:deno deno.json deno.lock ./
RUN deno install --frozen
ARG ORT_NODE_DIR=node_modules/.deno/onnxruntime-node@${ORT_VERSION}/node_modules/onnxruntime-node/bin/napi-v6/linux/x64
COPY --from=ort-cuda --chown=deno:deno /ort/ ${ORT_NODE_DIR}/
RUN ls "$ORT_NODE_DIR/onnxruntime_binding.node" \
 && ls -l "$ORT_NODE_DIR/libonnxruntime_providers_cuda.so" "$ORT_NODE_DIR/libonnxruntime_providers_shared.so"

COPY --chown=deno:deno . .
RUN deno cache workers/cosyvoice/main.ts scripts/grpc_health_probe.ts

EXPOSE 7002
ENTRYPOINT ["tini", "--"]
CMD ["deno", "task", "run-tts-cosyvoice"]
