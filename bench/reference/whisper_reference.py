#!/usr/bin/env python3
"""faster-whisper as the reference for our Whisper engine (parity tests and bench/asr_bench.ts).

Settings match our greedy decoder: beam_size=1, temperature 0 only, without_timestamps=True,
condition_on_previous_text=False, no VAD filter, language "en" unless given.

Batch mode (tests):
    python whisper_reference.py --model DIR [--compute-type float32] [--threads 2] WAV...
    → prints one JSON object: {"results": [{"path", "text", "no_speech_prob", "seconds", "audio_seconds"}]}

Serve mode (bench): one JSON request per stdin line, one JSON reply per stdout line, models loaded once:
    {"path": "a.wav", "compute_type": "int8"}  →  {"text", "seconds", "audio_seconds", "no_speech_prob"}
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import wave

import numpy as np
from faster_whisper import WhisperModel


def read_wav(path: str) -> np.ndarray:
    """16-bit mono 16 kHz WAV → float32 in [-1, 1]."""
    with wave.open(path, "rb") as w:
        if w.getframerate() != 16000 or w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16 kHz mono s16 WAV")
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0


class Reference:
    def __init__(self, model_dir: str, threads: int, language: str):
        self.model_dir = model_dir
        self.threads = threads
        self.language = language
        self.models: dict[str, WhisperModel] = {}

    def model(self, compute_type: str) -> WhisperModel:
        if compute_type not in self.models:
            self.models[compute_type] = WhisperModel(
                self.model_dir, device="cpu", compute_type=compute_type, cpu_threads=self.threads, num_workers=1
            )
        return self.models[compute_type]

    def transcribe(self, path: str, compute_type: str) -> dict:
        audio = read_wav(path)
        model = self.model(compute_type)
        started = time.perf_counter()
        segments, _ = model.transcribe(
            audio,
            language=self.language,
            beam_size=1,
            temperature=0.0,
            without_timestamps=True,
            condition_on_previous_text=False,
            vad_filter=False,
        )
        segments = list(segments)  # the generator does the work
        seconds = time.perf_counter() - started
        return {
            "path": path,
            "text": "".join(s.text for s in segments).strip(),
            "no_speech_prob": max((s.no_speech_prob for s in segments), default=0.0),
            "seconds": seconds,
            "audio_seconds": len(audio) / 16000,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="faster-whisper (CTranslate2) model directory")
    parser.add_argument("--compute-type", default="float32")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--language", default="en")
    parser.add_argument("--serve", action="store_true", help="answer JSON-line requests on stdin")
    parser.add_argument("wavs", nargs="*")
    args = parser.parse_args()
    ref = Reference(args.model, args.threads, args.language)
    if not args.serve:
        results = [ref.transcribe(path, args.compute_type) for path in args.wavs]
        print(json.dumps({"results": results}))
        return 0
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            reply = ref.transcribe(request["path"], request.get("compute_type", args.compute_type))
        except Exception as err:  # reported to the caller, who decides
            reply = {"error": f"{type(err).__name__}: {err}"}
        print(json.dumps(reply), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
