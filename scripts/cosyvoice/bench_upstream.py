"""Upstream's PyTorch streaming inference on a random-weight pack's modules, for `deno task bench cosyvoice`.

  bench_upstream.py --pack DIR --text TEXT --threads N

Rebuilds the pack's modules (same classes, sizes, seed), then runs `CosyVoice2Model.tts(stream=True)` with the LLM
(upstream's RAS sampling) twice (cold, then warm) and prints one JSON line: first audio of each, the warm first
chunk's path stage by stage, RTF, LLM tokens/s, time per stage, peak RSS.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import modules  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402


def timed(owner, name: str, spans: list, key: str) -> None:
    """Wraps owner.name so that each call is recorded as (key, start, end) in spans."""
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spans.append((key, start, time.perf_counter()))
    setattr(owner, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pack", required=True)
    parser.add_argument("--text", required=True)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    manifest = json.load(open(os.path.join(args.pack, "voicepack.json")))
    src = manifest["source"]
    tokenizer = Tokenizer.from_file(os.path.join(args.pack, "tokenizer.json"))
    llm, flow, hift = modules.build_all(src["size"], manifest["text_vocab"], src["seed"])
    voice = manifest["voice"]
    prompt_ids = torch.tensor([voice["prompt_text_ids"]], dtype=torch.int32)
    prompt_tokens = torch.tensor([voice["prompt_speech_tokens"]], dtype=torch.int32)
    prompt_mel = torch.from_numpy(np.fromfile(os.path.join(args.pack, "voice_mel.f32"), dtype=np.float32)
                                  .reshape(voice["prompt_mel_shape"])).unsqueeze(0)
    embedding = torch.tensor([voice["embedding"]], dtype=torch.float32)
    text = torch.tensor([tokenizer.encode(args.text).ids], dtype=torch.int32)

    from cosyvoice.cli.model import CosyVoice2Model
    model = CosyVoice2Model(llm, flow, hift)
    model.llm = llm  # upstream's __init__ leaves this line commented out (its vLLM path sets it elsewhere)
    spans: list = []
    timed(flow, "inference", spans, "flow")
    timed(hift, "inference", spans, "hift")
    token_times: list = []
    llm_span: list = []
    original = llm.inference

    def counting(**kwargs):
        start = time.perf_counter()
        llm_span[:] = [start, start]
        for token in original(**kwargs):
            token_times.append(time.perf_counter())
            yield token
        llm_span[1] = time.perf_counter()
    llm.inference = counting

    def request():
        spans.clear()
        token_times.clear()
        torch.manual_seed(0)
        started = time.perf_counter()
        first = None
        samples = 0
        for out in model.tts(text=text, flow_embedding=embedding, llm_embedding=embedding, prompt_text=prompt_ids,
                             llm_prompt_speech_token=prompt_tokens, flow_prompt_speech_token=prompt_tokens,
                             prompt_speech_feat=prompt_mel, stream=True):
            if first is None:
                first = time.perf_counter()
            samples += out["tts_speech"].shape[1]
        return started, first, time.perf_counter() - started, samples / 24000

    def spent(key, until=float("inf")):
        return sum(end - start for k, start, end in spans if k == key and end <= until)

    cold_started, cold_first, _, _ = request()
    started, first, total, audio = request()
    # The LLM runs on its own thread (upstream's llm_job): its span is wall time, prefill is time to the first token,
    # and it goes on while the flow works on the first chunk (tokens before the first chunk counts those too).
    llm_s = llm_span[1] - llm_span[0]
    before = [t for t in token_times if t <= first]
    prefill = token_times[0] - llm_span[0] if token_times else None
    steps = (before[-1] - token_times[0]) if before else None
    first_s = first - started
    flow_first, hift_first = spent("flow", first), spent("hift", first)
    print(json.dumps({
        "warmup_s": None, "first_audio_cold_s": cold_first - cold_started, "first_audio_s": first_s,
        "first_prefill_s": prefill, "first_llm_steps_s": steps, "first_tokens": len(before),
        "first_flow_s": flow_first, "first_hift_s": hift_first,
        "first_other_s": None if prefill is None or steps is None else
        first_s - prefill - steps - flow_first - hift_first,
        "total_s": total, "audio_s": audio, "rtf": total / audio,
        "tokens": len(token_times), "llm_tokens_per_s": len(token_times) / llm_s,
        "llm_s": llm_s, "flow_s": spent("flow"), "hift_s": spent("hift"),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }), flush=True)


if __name__ == "__main__":
    main()
