"""The reference implementation, PyPI piper-tts 1.8.0, driven in-process for tests and the bench.

Reads one text per line on stdin and prints JSON on stdout. Modes:
  ids    phoneme ids per sentence, as piper-tts computes them:  {"text", "sentences": [[id, ...], ...]}
  synth  audio at the voice's native rate, written as raw float32 files to --out-dir (one per line, all
         sentences concatenated, each peak-normalised as piper-tts does):  {"index", "file", "samples"}
  bench  time to the first audio chunk of piper-tts's streaming synthesize(), the real-time factor and the process's
         CPU time, per line,
         after one warm-up run (then {"ready": true}); lines are answered as they arrive, so a caller can interleave
         runs with its own:  {"first_audio_ms", "compute_ms", "audio_ms"}

The ONNX session is built with the given intra-op thread count so that the race against our worker is fair.
"""

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Iterable

import numpy as np
import onnxruntime
from piper import PiperVoice
from piper.config import PiperConfig, SynthesisConfig


def load_voice(model: str, threads: int) -> PiperVoice:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])
    with open(f"{model}.json", "r", encoding="utf-8") as config_file:
        config = PiperConfig.from_dict(json.load(config_file))
    return PiperVoice(session=session, config=config)


def synthesis_config(args: argparse.Namespace) -> SynthesisConfig:
    return SynthesisConfig(noise_scale=args.noise_scale, noise_w_scale=args.noise_w, length_scale=args.length_scale)


def emit(record: dict) -> None:
    sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def mode_ids(voice: PiperVoice, lines: list[str], _args: argparse.Namespace) -> None:
    for text in lines:
        sentences = [voice.phonemes_to_ids(p) for p in voice.phonemize(text) if p]
        emit({"text": text, "sentences": sentences})


def mode_synth(voice: PiperVoice, lines: list[str], args: argparse.Namespace) -> None:
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    config = synthesis_config(args)
    for index, text in enumerate(lines):
        chunks = [chunk.audio_float_array for chunk in voice.synthesize(text, syn_config=config)]
        audio = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, dtype=np.float32)
        path = out_dir / f"{index}.f32"
        audio.tofile(path)
        emit({"index": index, "file": str(path), "samples": int(audio.size), "sample_rate": voice.config.sample_rate})


def mode_bench(voice: PiperVoice, lines: Iterable[str], args: argparse.Namespace) -> None:
    config = synthesis_config(args)
    for _ in voice.synthesize("Warming up the voice.", syn_config=config):
        pass
    emit({"ready": True})
    rate = voice.config.sample_rate
    for text in lines:
        started = time.perf_counter()
        cpu_started = time.process_time()
        first_ms = None
        samples = 0
        for chunk in voice.synthesize(text, syn_config=config):
            if first_ms is None:
                first_ms = (time.perf_counter() - started) * 1000
            samples += chunk.audio_float_array.size
        compute_ms = (time.perf_counter() - started) * 1000
        cpu_ms = (time.process_time() - cpu_started) * 1000
        emit({
            "text": text,
            "first_audio_ms": first_ms,
            "compute_ms": compute_ms,
            "cpu_ms": cpu_ms,
            "audio_ms": samples * 1000 / rate,
        })


MODES = {"ids": mode_ids, "synth": mode_synth, "bench": mode_bench}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=sorted(MODES))
    parser.add_argument("--model", required=True, help="path to the voice's .onnx (its .onnx.json beside it)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--noise-scale", type=float, default=None)
    parser.add_argument("--noise-w", type=float, default=None)
    parser.add_argument("--length-scale", type=float, default=None)
    parser.add_argument("--out-dir", default=".cache/piper-reference")
    args = parser.parse_args()
    voice = load_voice(args.model, args.threads)
    lines = (line.rstrip("\n") for line in sys.stdin if line.strip())
    MODES[args.mode](voice, lines if args.mode == "bench" else list(lines), args)


if __name__ == "__main__":
    main()
