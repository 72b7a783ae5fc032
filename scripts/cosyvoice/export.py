"""Exports a CosyVoice 2 voicepack (`voicepacks/cosyvoice/<name>/`) for the onnxruntime worker.

  export.py --checkpoint DIR --prompt-wav FILE --prompt-text TEXT --out voicepacks/cosyvoice/en-base
      DIR in the public CosyVoice2-0.5B layout (cosyvoice2.yaml, llm.pt, flow.pt, hift.pt, campplus.onnx,
      speech_tokenizer_v2.onnx, CosyVoice-BlankEN/).
  export.py --random tiny|full --seed N --out voicepacks/cosyvoice/random-tiny
      upstream's classes with seeded random weights (no checkpoint can be fetched here); the pack speaks noise.

Upstream's own classes come from PyPI `cosyvoice-minicpmo`; nothing runs PyTorch at synthesis time.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import graphs  # noqa: E402
import modules  # noqa: E402
import tiny_tokenizer  # noqa: E402

CHECKPOINT_FILES = ["cosyvoice2.yaml", "llm.pt", "flow.pt", "hift.pt", "campplus.onnx", "speech_tokenizer_v2.onnx",
                    "CosyVoice-BlankEN"]
SPECIAL_TOKENS = ['<|im_start|>', '<|im_end|>', '<|endofprompt|>', '[breath]', '<strong>', '</strong>', '[noise]',
                  '[laughter]', '[cough]', '[clucking]', '[accent]', '[quick_breath]', "<laughter>", "</laughter>",
                  "[hissing]", "[sigh]", "[vocalized-noise]", "[lipsmack]", "[mn]"]
RANDOM_PROMPT_TEXT = "This voice has random weights."


def step(message: str) -> None:
    print(f"export: {message}", flush=True)


def fail(message: str) -> None:
    print(f"export: error: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def export_graphs(llm, flow, hift, out: str) -> dict:
    """Writes every ONNX graph of the pack; returns the LLM's KV layout for the manifest."""
    body = llm.llm.model.model
    layers, kv_heads = len(body.layers), body.config.num_key_value_heads
    head_dim = body.config.hidden_size // body.config.num_attention_heads
    names = ["input_ids"] + [f"past_key_values.{i}.{k}" for i in range(layers) for k in ("key", "value")]
    outs = ["logp"] + [f"present.{i}.{k}" for i in range(layers) for k in ("key", "value")]
    dyn = {"input_ids": {1: "S"}, **{n: {2: "P"} for n in names[1:]}, **{n: {2: "P_S"} for n in outs[1:]}}
    past = [torch.zeros(1, kv_heads, 2, head_dim) for _ in names[1:]]
    step(f"llm.onnx ({layers} layers, hidden {body.config.hidden_size})")
    graphs.export(graphs.LlmStep(llm).eval(), (torch.tensor([[1, 2, 3]]), *past), f"{out}/llm.onnx", names, outs, dyn)

    tokens = torch.randint(0, 6561, (1, 40))
    emb = torch.randn(1, 192)
    for variant, streaming in (("stream", True), ("final", False)):
        step(f"flow_encoder_{variant}.onnx")
        graphs.export(graphs.FlowEncoder(flow, streaming).eval(), (tokens, emb), f"{out}/flow_encoder_{variant}.onnx",
                      ["token", "embedding"], ["mu", "spks"], {"token": {1: "N"}, "mu": {2: "T"}})
    T = 74
    est_args = (torch.randn(2, 80, T), torch.ones(2, 1, T), torch.randn(2, 80, T), torch.rand(2), torch.randn(2, 80),
                torch.randn(2, 80, T))
    est_names = ["x", "mask", "mu", "t", "spks", "cond"]
    est_dyn = {n: {2: "T"} for n in ("x", "mask", "mu", "cond")} | {"estimator_out": {2: "T"}}
    for variant, streaming in (("stream", True), ("full", False)):
        step(f"flow_estimator_{variant}.onnx")
        graphs.export(graphs.Estimator(flow.decoder.estimator, streaming).eval(), est_args,
                      f"{out}/flow_estimator_{variant}.onnx", est_names, ["estimator_out"], est_dyn)
    step("hift_f0.onnx, hift_decoder.onnx")
    feat = torch.randn(1, 80, 20)
    graphs.export(graphs.HiftF0(hift).eval(), (feat,), f"{out}/hift_f0.onnx", ["speech_feat"], ["f0"],
                  {"speech_feat": {2: "T"}, "f0": {1: "T"}})
    graphs.export(graphs.HiftDecoder(hift).eval(), (feat, torch.randn(1, 18, 20 * 120 + 1)),
                  f"{out}/hift_decoder.onnx", ["speech_feat", "source_stft"], ["magnitude", "phase"],
                  {"speech_feat": {2: "T"}, "source_stft": {2: "F"}, "magnitude": {2: "F"}, "phase": {2: "F"}})
    return {"layers": layers, "kv_heads": kv_heads, "head_dim": head_dim, "hidden": body.config.hidden_size}


def write_f32(path: str, array) -> list[int]:
    data = np.ascontiguousarray(np.asarray(array, dtype=np.float32))
    data.tofile(path)
    return list(data.shape)


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def random_voice(tokenizer, seed: int) -> dict:
    """A synthetic enrolled speaker: random prompt tokens, a log-mel-like prompt mel and a random x-vector."""
    g = torch.Generator().manual_seed(seed + 30)
    n_tokens = 37
    return {
        "prompt_text": RANDOM_PROMPT_TEXT,
        "prompt_text_ids": tokenizer.encode(RANDOM_PROMPT_TEXT).ids,
        "prompt_speech_tokens": torch.randint(0, 6561, (n_tokens,), generator=g).tolist(),
        "prompt_mel": (torch.randn(2 * n_tokens, 80, generator=g) * 2 - 6).numpy(),
        "embedding": torch.randn(192, generator=g).numpy(),
        "provenance": "synthetic: random prompt tokens, mel and speaker embedding (seeded)",
    }


def checkpoint_modules(folder: str):
    """Upstream's modules from a CosyVoice2-0.5B folder, via its own hyperpyyaml config."""
    missing = [f for f in CHECKPOINT_FILES if not os.path.exists(os.path.join(folder, f))]
    if missing:
        fail(f"{folder} is not a CosyVoice2-0.5B checkpoint folder: missing {', '.join(missing)}")
    try:
        from hyperpyyaml import load_hyperpyyaml
    except ImportError:
        fail("hyperpyyaml is needed to read cosyvoice2.yaml (pip install hyperpyyaml)")
    with open(os.path.join(folder, "cosyvoice2.yaml")) as f:
        configs = load_hyperpyyaml(f, overrides={"qwen_pretrain_path": os.path.join(folder, "CosyVoice-BlankEN")})
    parts = []
    for name in ("llm", "flow", "hift"):
        step(f"loading {name}.pt")
        module = configs[name]
        state = torch.load(os.path.join(folder, f"{name}.pt"), map_location="cpu")
        module.load_state_dict({k.replace("generator.", ""): v for k, v in state.items()}, strict=True)
        parts.append(module.eval())
    return parts


def checkpoint_voice(folder: str, tokenizer, wav: str, text: str, flow) -> dict:
    """Enrols the prompt WAV with upstream's front end (speech tokenizer, CAM++ and the matcha mel)."""
    from cosyvoice.cli.frontend import CosyVoiceFrontEnd
    from cosyvoice.utils.file_utils import load_wav
    from matcha.utils.audio import mel_spectrogram
    import functools
    feat = functools.partial(mel_spectrogram, n_fft=1920, num_mels=80, sampling_rate=24000, hop_size=480,
                             win_size=1920, fmin=0, fmax=8000, center=False)
    frontend = CosyVoiceFrontEnd(lambda: None, feat, os.path.join(folder, "campplus.onnx"),
                                 os.path.join(folder, "speech_tokenizer_v2.onnx"), None, "all")
    speech16 = load_wav(wav, 16000)
    tokens, _ = frontend._extract_speech_token(speech16)
    mel, _ = frontend._extract_speech_feat(load_wav(wav, 24000))
    n = min(mel.shape[1] // 2, tokens.shape[1])
    embedding = frontend._extract_spk_embedding(speech16)
    return {
        "prompt_text": text,
        "prompt_text_ids": tokenizer.encode(text).ids,
        "prompt_speech_tokens": tokens[0, :n].tolist(),
        "prompt_mel": mel[0, :2 * n].numpy(),
        "embedding": embedding[0].numpy(),
        "provenance": f"enrolled from {os.path.basename(wav)} (sha256 {sha256(wav)})",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--checkpoint")
    parser.add_argument("--prompt-wav")
    parser.add_argument("--prompt-text")
    parser.add_argument("--random", choices=["tiny", "full"])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if bool(args.checkpoint) == bool(args.random):
        fail("give exactly one of --checkpoint DIR or --random tiny|full")
    started = time.time()
    os.makedirs(args.out, exist_ok=True)
    if args.random:
        tokenizer = tiny_tokenizer.build(SPECIAL_TOKENS) if args.random == "tiny" else tiny_tokenizer.build(
            SPECIAL_TOKENS, vocab_size=2000)
        step(f"building upstream modules at {args.random} size with seed {args.seed}")
        llm, flow, hift = modules.build_all(args.random, tokenizer.get_vocab_size(), args.seed)
        voice = random_voice(tokenizer, args.seed)
        source = {"kind": "random", "size": args.random, "seed": args.seed}
    else:
        if not (args.prompt_wav and args.prompt_text):
            fail("--checkpoint needs --prompt-wav and --prompt-text (the transcript of the prompt)")
        from transformers import AutoTokenizer
        auto = AutoTokenizer.from_pretrained(os.path.join(args.checkpoint, "CosyVoice-BlankEN"))
        auto.add_special_tokens({"eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
                                 "additional_special_tokens": SPECIAL_TOKENS})
        tokenizer = auto.backend_tokenizer
        llm, flow, hift = checkpoint_modules(args.checkpoint)
        voice = checkpoint_voice(args.checkpoint, tokenizer, args.prompt_wav, args.prompt_text, flow)
        source = {"kind": "checkpoint", "folder": os.path.abspath(args.checkpoint)}
    tokenizer.save(f"{args.out}/tokenizer.json")
    text_vocab = llm.llm.model.model.embed_tokens.weight.shape[0]
    kv = export_graphs(llm, flow, hift, args.out)
    step("flow_noise.f32, voice")
    noise_shape = write_f32(f"{args.out}/flow_noise.f32", flow.decoder.rand_noise[0])
    mel_shape = write_f32(f"{args.out}/voice_mel.f32", voice["prompt_mel"])
    merge = hift.m_source.l_linear
    files = {}
    for name in sorted(os.listdir(args.out)):
        if name == "voicepack.json":
            continue
        path = f"{args.out}/{name}"
        files[name] = {"bytes": os.path.getsize(path), "sha256": sha256(path)}
    manifest = {
        "format": "cosyvoice2-voicepack/1",
        "source": source,
        "language": "en-US",
        "sample_rate": 24000,
        "text_vocab": text_vocab,
        "llm": kv,
        "speech": {"vocab": 6561, "eos": 6561, "stop_ids": [6561, 6562, 6563], "fill": 6563},
        "sampling": {"top_p": 0.8, "top_k": 25, "win_size": 10, "tau_r": 0.1, "min_ratio": 2, "max_ratio": 20},
        "flow": {"steps": 10, "cfg_rate": 0.7, "token_mel_ratio": 2, "lookahead": 3, "noise_shape": noise_shape},
        "stream": {"token_hop": 25, "mel_cache": 8, "source_cache": 3840},
        "hift": {"n_fft": 16, "hop": 4, "upsample": 480, "harmonics": 8, "sine_amp": 0.1, "noise_std": 0.003,
                 "voiced_threshold": 10, "audio_limit": 0.99,
                 "merge_weight": merge.weight.detach().reshape(-1).tolist(), "merge_bias": merge.bias.detach().item()},
        "voice": {k: voice[k] for k in ("prompt_text", "prompt_text_ids", "prompt_speech_tokens", "provenance")}
        | {"prompt_mel_shape": mel_shape, "embedding": np.asarray(voice["embedding"]).tolist()},
        "files": files,
    }
    with open(f"{args.out}/voicepack.json", "w") as f:
        json.dump(manifest, f, indent=1)
    total = sum(f["bytes"] for f in files.values())
    step(f"wrote {args.out} ({len(files)} files, {total / 1e6:.1f} MB) in {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
