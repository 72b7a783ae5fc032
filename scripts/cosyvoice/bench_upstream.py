"""Upstream's PyTorch streaming inference on a random-weight pack's modules, for `deno task bench cosyvoice`.

  bench_upstream.py --pack DIR --text TEXT --threads N

Rebuilds the pack's modules (same classes, sizes, seed), then runs `CosyVoice2Model.tts(stream=True)` with the LLM
(upstream's RAS sampling) and prints one JSON line: first audio, RTF, LLM tokens/s, time per stage, peak RSS.
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


def timed(owner, name: str, totals: dict, key: str) -> None:
    """Wraps owner.name so that its calls add their wall time to totals[key]."""
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            totals[key] = totals.get(key, 0.0) + time.perf_counter() - start
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
    totals: dict = {}
    timed(flow, "inference", totals, "flow")
    timed(hift, "inference", totals, "hift")
    tokens = []
    original = llm.inference

    def counting(**kwargs):
        start = time.perf_counter()
        for token in original(**kwargs):
            tokens.append(token)
            yield token
        totals["llm"] = time.perf_counter() - start
    llm.inference = counting
    torch.manual_seed(0)
    started = time.perf_counter()
    first = None
    samples = 0
    for out in model.tts(text=text, flow_embedding=embedding, llm_embedding=embedding, prompt_text=prompt_ids,
                         llm_prompt_speech_token=prompt_tokens, flow_prompt_speech_token=prompt_tokens,
                         prompt_speech_feat=prompt_mel, stream=True):
        if first is None:
            first = time.perf_counter() - started
        samples += out["tts_speech"].shape[1]
    total = time.perf_counter() - started
    audio = samples / 24000
    print(json.dumps({
        "first_audio_s": first, "total_s": total, "audio_s": audio, "rtf": total / audio,
        "tokens": len(tokens), "llm_tokens_per_s": len(tokens) / totals.get("llm", float("nan")),
        "llm_s": totals.get("llm"), "flow_s": totals.get("flow", 0.0), "hift_s": totals.get("hift", 0.0),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }), flush=True)


if __name__ == "__main__":
    main()
