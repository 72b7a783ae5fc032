"""Tokens file, special token ids and the metadata our ONNX encoder carries (sherpa-onnx key names).

Vocabulary entries are GPT-2 byte-level strings (each byte mapped to one printable code point). The tokens file
(`<name>-tokens.txt`) has one line per regular token: base64 of the token's raw bytes, a space, the token id.
"""

from __future__ import annotations

import base64
import re

from ct2_model import Ct2FormatError, Ct2Whisper


def byte_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte → printable character table."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    table = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return table


_UNICODE_TO_BYTE = {ch: b for b, ch in byte_to_unicode().items()}


def token_bytes(token: str) -> bytes:
    try:
        return bytes(_UNICODE_TO_BYTE[ch] for ch in token)
    except KeyError as err:
        raise Ct2FormatError(f"token {token!r} is not a byte-level BPE token") from err


def special_ids(model: Ct2Whisper) -> dict:
    """The ids the decoder needs, looked up by name in the vocabulary."""
    index = {token: i for i, token in enumerate(model.vocabulary)}

    def need(*names: str) -> int:
        for name in names:
            if name in index:
                return index[name]
        raise Ct2FormatError(f"vocabulary has none of {names}")

    ids = {
        "eot": need("<|endoftext|>"),
        "sot": need("<|startoftranscript|>"),
        "transcribe": need("<|transcribe|>"),
        "translate": need("<|translate|>"),
        "sot_lm": need("<|startoflm|>"),
        "sot_prev": need("<|startofprev|>"),
        "no_speech": need("<|nospeech|>", "<|nocaptions|>"),
        "no_timestamps": need("<|notimestamps|>"),
    }
    # Language tokens sit between <|startoftranscript|> and the task tokens.
    codes, tokens = [], []
    for token_id in range(ids["sot"] + 1, min(ids["transcribe"], ids["translate"])):
        match = re.fullmatch(r"<\|([a-z]{2,3}|[a-z]{2}-[a-z]+)\|>", model.vocabulary[token_id])
        if match:
            codes.append(match.group(1))
            tokens.append(token_id)
    ids["language_codes"] = codes
    ids["language_tokens"] = tokens
    # English-only checkpoints have 51864 rows; multilingual ones 51865 (51866 for large-v3).
    ids["is_multilingual"] = model.dims["n_vocab"] >= 51865
    return ids


class _BytePairEncoder:
    """Just enough byte-level BPE to encode short punctuation strings (the non-speech symbol list)."""

    def __init__(self, tokenizer: dict):
        merges = tokenizer["model"]["merges"]
        pairs = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in merges]
        self.ranks = {pair: rank for rank, pair in enumerate(pairs)}
        self.vocab = tokenizer["model"]["vocab"]
        self.byte_map = byte_to_unicode()

    def _bpe(self, word: list[str]) -> list[str]:
        while len(word) > 1:
            candidates = [(self.ranks.get((a, b)), i) for i, (a, b) in enumerate(zip(word, word[1:]))]
            candidates = [c for c in candidates if c[0] is not None]
            if not candidates:
                break
            _, i = min(candidates)
            word = word[:i] + [word[i] + word[i + 1]] + word[i + 2 :]
        return word

    def encode(self, text: str) -> list[int]:
        # GPT-2 pre-tokenisation keeps " " + a run of punctuation as one piece; nothing else is encoded here.
        body = text[1:] if text.startswith(" ") else text
        if not body or any(ch.isalnum() or ch.isspace() for ch in body):
            raise ValueError(f"{text!r} is not a single punctuation piece")
        word = [self.byte_map[b] for b in text.encode("utf-8")]
        return [self.vocab[piece] for piece in self._bpe(word)]


def non_speech_tokens(model: Ct2Whisper) -> list[int]:
    """Tokens Whisper suppresses so it does not write speaker tags or music notes (OpenAI's list, same rules)."""
    if model.tokenizer is None:
        raise Ct2FormatError("tokenizer.json is needed to compute the non-speech tokens")
    bpe = _BytePairEncoder(model.tokenizer)
    symbols = list('"#()*+/:;<=>@[\\]^_`{|}~「」『』')
    symbols += "<< >> <<< >>> -- --- -( -[ (' (\" (( )) ((( ))) [[ ]] {{ }} ♪♪ ♪♪♪".split()
    miscellaneous = list("♩♪♫♬♭♮♯")
    result = {bpe.encode(" -")[0], bpe.encode(" '")[0]}
    for symbol in symbols + miscellaneous:
        for ids in (bpe.encode(symbol), bpe.encode(" " + symbol)):
            if len(ids) == 1 or symbol in miscellaneous:
                result.add(ids[0])
    return sorted(result)


def write_tokens(model: Ct2Whisper, eot: int, path: str) -> None:
    """Writes `<base64 bytes> <id>` for every regular (non-special) token."""
    with open(path, "w", encoding="ascii", newline="\n") as f:
        for token_id in range(eot):
            encoded = base64.b64encode(token_bytes(model.vocabulary[token_id])).decode("ascii")
            f.write(f"{encoded} {token_id}\n")


def encoder_metadata(model: Ct2Whisper, name: str, ids: dict, suppress: list[int]) -> dict[str, str]:
    """Metadata props for the encoder, with the keys sherpa-onnx whisper exports use, plus our own extras."""
    sot_sequence = [ids["sot"]]
    if ids["is_multilingual"]:
        english = ids["language_tokens"][ids["language_codes"].index("en")]
        sot_sequence += [english, ids["transcribe"]]
    meta = {
        "model_type": f"whisper-{name}",
        "version": "1",
        "maintainer": "ct2_to_onnx",
        **{key: str(value) for key, value in model.dims.items()},
        "sot_sequence": ",".join(map(str, sot_sequence)),
        "all_language_tokens": ",".join(map(str, ids["language_tokens"])),
        "all_language_codes": ",".join(ids["language_codes"]),
        "sot": str(ids["sot"]),
        "sot_index": "0",
        "eot": str(ids["eot"]),
        "blank_id": str(model.tokenizer["model"]["vocab"]["Ġ"] if model.tokenizer else 220),
        "is_multilingual": str(int(ids["is_multilingual"])),
        "no_speech": str(ids["no_speech"]),
        "non_speech_tokens": ",".join(map(str, suppress)),
        "transcribe": str(ids["transcribe"]),
        "translate": str(ids["translate"]),
        "sot_prev": str(ids["sot_prev"]),
        "sot_lm": str(ids["sot_lm"]),
        "no_timestamps": str(ids["no_timestamps"]),
        # Ours: the encoder accepts any even number of mel frames up to 2 * n_audio_ctx.
        "variable_frames": "1",
        "source_dtype": model.source_dtype,
    }
    return meta
