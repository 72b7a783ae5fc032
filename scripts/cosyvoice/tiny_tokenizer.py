"""A small Qwen2-style byte-level BPE for random-weight packs (the real Qwen2 vocabulary cannot be fetched here):
same pre-tokenizer regex, byte-level alphabet and special tokens as CosyVoice-BlankEN, trained on a fixed text."""
from __future__ import annotations

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+"
               r"|\s+(?!\S)|\s+")

CORPUS = """Hello there, this is a short test sentence. Good morning. One fish, two fish. Red fish, blue fish.
The weather is fine today. This voice has random weights. How are you doing? I am fine, thank you!
Please wait a moment; the answer is coming: it will be ready soon. We speak English numbers like one two three.
The quick brown fox jumps over the lazy dog. She sells sea shells by the sea shore. What time is it now?"""


def build(special_tokens: list[str], vocab_size: int = 400) -> Tokenizer:
    tokenizer = Tokenizer(models.BPE())
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_SPLIT), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  special_tokens=["<|endoftext|>"], show_progress=False)
    tokenizer.train_from_iterator(CORPUS.split("\n") * 4, trainer)
    tokenizer.add_special_tokens(special_tokens)
    return tokenizer
