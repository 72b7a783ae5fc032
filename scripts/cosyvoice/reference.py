"""Upstream PyTorch reference for the parity tests: rebuilds the random pack's modules (same classes, sizes, seed)
and writes what upstream's own inference code produces, for the TypeScript pipeline to be compared against.

  reference.py --pack voicepacks/cosyvoice/random-tiny --out DIR --texts-json '["Hello.", ...]'

Randomness: the LLM runs greedy (arg-max, the next best when upstream's sampling_ids redraws an early eos); the flow's noise is upstream's fixed
tensor; HiFT's source draws (initial phases, noise) are seeded per vocoder call, and the same draws are written out.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import modules  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402


def save(out: str, name: str, array) -> list[int]:
    data = np.ascontiguousarray(np.asarray(array, dtype=np.float32))
    data.tofile(os.path.join(out, f"{name}.f32"))
    return list(data.shape)


class SeededSource:
    """Hooks on hift.m_source: seeds torch before each call, replays the initial phases (upstream's first draw,
    torch.rand(1, 9)) and records the standard-normal noise that SineGen2 drew (its returned noise / amplitude)."""

    def __init__(self, hift, base: int):
        self.base, self.calls = base, []
        hift.m_source.register_forward_pre_hook(self.before)
        hift.m_source.l_sin_gen.register_forward_hook(self.after)

    def before(self, _module, _args):
        seed = self.base + len(self.calls)
        torch.manual_seed(seed)
        rand_ini = torch.rand(1, 9)
        torch.manual_seed(seed)
        self.calls.append([rand_ini[0].numpy().copy(), None])

    def after(self, module, _args, output):
        _sines, uv, noise = output
        amp = uv * module.noise_std + (1 - uv) * module.sine_amp / 3
        self.calls[-1][1] = (noise / amp)[0].numpy().copy()


class RankedGreedy:
    """Arg-max; when upstream's sampling_ids asks again for the same step (an eos before min_len), the next best."""

    def __init__(self):
        self.last, self.rank = None, 0

    def __call__(self, scores, _decoded, _k):
        if scores is self.last:
            self.rank += 1
        else:
            self.last, self.rank = scores, 0
        return torch.argsort(scores, descending=True, stable=True)[self.rank].reshape(1)


class TokenReplay:
    """Stands in for the LLM in the streaming comparison: teacher-forces the token stream under test."""

    def __init__(self, tokens):
        self.tokens = tokens

    def inference(self, **_kwargs):
        yield from self.tokens


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pack", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--texts-json", required=True)
    args = parser.parse_args()
    texts = json.loads(args.texts_json)
    manifest = json.load(open(os.path.join(args.pack, "voicepack.json")))
    src = manifest["source"]
    if src.get("kind") != "random":
        sys.exit("reference.py compares random-weight packs only (their modules can be rebuilt from the seed)")
    tokenizer = Tokenizer.from_file(os.path.join(args.pack, "tokenizer.json"))
    llm, flow, hift = modules.build_all(src["size"], manifest["text_vocab"], src["seed"])
    llm.sampling = RankedGreedy()
    voice = manifest["voice"]
    prompt_ids = torch.tensor([voice["prompt_text_ids"]], dtype=torch.int32)
    prompt_tokens = torch.tensor([voice["prompt_speech_tokens"]], dtype=torch.int32)
    mel_shape = voice["prompt_mel_shape"]
    prompt_mel = torch.from_numpy(np.fromfile(os.path.join(args.pack, "voice_mel.f32"), dtype=np.float32)
                                  .reshape(mel_shape)).unsqueeze(0)
    embedding = torch.tensor([voice["embedding"]], dtype=torch.float32)
    os.makedirs(args.out, exist_ok=True)
    result = {"llm": []}

    # 1. LLM: upstream Qwen2LM.inference (its KV loop, min/max length rules, stop ids), greedy.
    for text in texts:
        ids = tokenizer.encode(text).ids
        t = torch.tensor([ids], dtype=torch.int32)
        tokens = list(llm.inference(text=t, text_len=torch.tensor([t.shape[1]], dtype=torch.int32),
                                    prompt_text=prompt_ids, prompt_text_len=torch.tensor([prompt_ids.shape[1]]),
                                    prompt_speech_token=prompt_tokens,
                                    prompt_speech_token_len=torch.tensor([prompt_tokens.shape[1]]),
                                    embedding=embedding))
        result["llm"].append({"text": text, "text_ids": ids, "tokens": tokens})

    # 2. Flow, offline: upstream CausalMaskedDiffWithXvec.inference, finalize=True.
    # 120 tokens: with the prompt's pad the stream makes four chunks and a final one.
    longest = max((r["tokens"] for r in result["llm"]), key=len)
    tokens = (longest * (1 + 120 // max(1, len(longest))))[:120]
    token_t = torch.tensor([tokens], dtype=torch.int32)
    with torch.inference_mode():
        mel, _ = flow.inference(token=token_t, token_len=torch.tensor([len(tokens)], dtype=torch.int32),
                                prompt_token=prompt_tokens, prompt_token_len=torch.tensor([prompt_tokens.shape[1]]),
                                prompt_feat=prompt_mel, prompt_feat_len=torch.tensor([prompt_mel.shape[1]]),
                                embedding=embedding, streaming=False, finalize=True)
    result["flow"] = {"tokens": tokens, "mel_shape": save(args.out, "flow_mel", mel[0])}

    # 3. HiFT on that mel, with seeded source draws.
    seeded = SeededSource(hift, 1000)
    with torch.inference_mode():
        wav, source = hift.inference(speech_feat=mel)
        f0 = hift.f0_predictor(mel)
    rand_ini, noise = seeded.calls[0]
    result["hift_voiced_fraction"] = float((f0 > hift.m_source.l_sin_gen.voiced_threshold).float().mean())
    result["hift"] = {"wav_shape": save(args.out, "hift_wav", wav[0]), "rand_ini": rand_ini.tolist(),
                      "source_shape": save(args.out, "hift_source", source[0, 0]),
                      "noise_shape": save(args.out, "hift_noise", noise)}

    # 4. Streaming: upstream CosyVoice2Model.tts(stream=True) on the same tokens (hop schedule, caches, fade).
    from cosyvoice.cli.model import CosyVoice2Model
    model = CosyVoice2Model(None, flow, hift)
    model.llm = TokenReplay(tokens)
    stream_seeded = SeededSource(hift, 2000)
    chunks = []
    for out in model.tts(text=torch.zeros(1, 1, dtype=torch.int32), flow_embedding=embedding,
                         llm_embedding=embedding, prompt_text=prompt_ids, llm_prompt_speech_token=prompt_tokens,
                         flow_prompt_speech_token=prompt_tokens, prompt_speech_feat=prompt_mel, stream=True):
        chunks.append(out["tts_speech"][0].numpy())
    result["stream"] = {"chunk_lengths": [len(c) for c in chunks],
                        "wav_shape": save(args.out, "stream_wav", np.concatenate(chunks)),
                        "calls": []}
    for i, (ini, nz) in enumerate(stream_seeded.calls):
        result["stream"]["calls"].append({"rand_ini": ini.tolist(), "noise_shape": save(args.out, f"stream_noise{i}", nz)})
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump(result, f)
    print(f"reference: wrote {args.out}", flush=True)


if __name__ == "__main__":
    main()
