#!/usr/bin/env python3
"""Reference log-mel for tests: faster-whisper's FeatureExtractor on raw float32 samples.

Usage: python scripts/whisper/reference_mel.py <samples.f32> <out.f32> [n_mels]
Reads little-endian float32 mono 16 kHz samples; writes the [n_mels, frames] float32 features it computes
(every frame, including the last one faster-whisper later drops) and prints `n_mels frames`.
"""

import sys

import numpy as np
from faster_whisper.feature_extractor import FeatureExtractor


def main() -> int:
    samples = np.fromfile(sys.argv[1], dtype="<f4")
    n_mels = int(sys.argv[3]) if len(sys.argv) > 3 else 80
    features = FeatureExtractor(feature_size=n_mels)(samples).astype("<f4")
    features.tofile(sys.argv[2])
    print(features.shape[0], features.shape[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
