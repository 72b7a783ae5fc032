"""Upstream CosyVoice 2 modules (PyPI `cosyvoice-minicpmo`), built at the real architecture's sizes or reduced.

Both the exporter and the parity reference build their modules here, so the random-weight packs and the PyTorch
reference that the tests compare against are the same network: same classes, same sizes, same seed.
"""
from __future__ import annotations

import functools
import os
import tempfile
from dataclasses import dataclass, field

import torch
from omegaconf import DictConfig

from cosyvoice.flow.decoder import CausalConditionalDecoder
from cosyvoice.flow.flow import CausalMaskedDiffWithXvec
from cosyvoice.flow.flow_matching import CausalConditionalCFM
from cosyvoice.hifigan.f0_predictor import ConvRNNF0Predictor
from cosyvoice.hifigan.generator import HiFTGenerator
from cosyvoice.llm.llm import Qwen2Encoder, Qwen2LM
from cosyvoice.transformer.upsample_encoder import UpsampleConformerEncoder
from cosyvoice.utils.common import ras_sampling
from transformers import Qwen2Config, Qwen2ForCausalLM

SPEECH_TOKEN_SIZE = 6561
EOS_BIAS = 7.0
F0_SCALE = 60.0


@dataclass
class Sizes:
    """Every width and depth that the reduced build changes. `full` is CosyVoice2-0.5B's `cosyvoice2.yaml`."""
    llm_hidden: int
    llm_layers: int
    llm_heads: int
    llm_kv_heads: int
    llm_mlp: int
    text_vocab: int
    enc_heads: int
    enc_units: int
    enc_blocks: int
    est_channels: list = field(default_factory=list)
    est_head_dim: int = 64
    est_blocks: int = 4
    est_mid_blocks: int = 12
    est_heads: int = 8
    hift_channels: int = 512
    f0_channels: int = 512


SIZES = {
    "full": Sizes(llm_hidden=896, llm_layers=24, llm_heads=14, llm_kv_heads=2, llm_mlp=4864, text_vocab=151936,
                  enc_heads=8, enc_units=2048, enc_blocks=6, est_channels=[256], est_head_dim=64, est_blocks=4,
                  est_mid_blocks=12, est_heads=8, hift_channels=512, f0_channels=512),
    # The encoder's width stays 512: upstream hard-codes it in PreLookaheadLayer and Upsample1D.
    "tiny": Sizes(llm_hidden=64, llm_layers=2, llm_heads=4, llm_kv_heads=2, llm_mlp=128, text_vocab=0,
                  enc_heads=4, enc_units=256, enc_blocks=1, est_channels=[64], est_head_dim=16, est_blocks=1,
                  est_mid_blocks=1, est_heads=2, hift_channels=32, f0_channels=32),
}


def build_llm(sizes: Sizes, text_vocab: int, seed: int) -> Qwen2LM:
    """Upstream's Qwen2LM around a randomly initialised Qwen2 body (Qwen2Encoder loads it from a folder)."""
    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=text_vocab, hidden_size=sizes.llm_hidden, intermediate_size=sizes.llm_mlp,
        num_hidden_layers=sizes.llm_layers, num_attention_heads=sizes.llm_heads,
        num_key_value_heads=sizes.llm_kv_heads, max_position_embeddings=32768, rope_theta=1000000.0,
        rms_norm_eps=1e-6, tie_word_embeddings=True, attn_implementation="eager",
    )
    body = Qwen2ForCausalLM(config)
    with tempfile.TemporaryDirectory() as folder:
        body.save_pretrained(folder)
        encoder = Qwen2Encoder(folder)
    encoder.model.config._attn_implementation = "eager"
    llm = Qwen2LM(llm_input_size=sizes.llm_hidden, llm_output_size=sizes.llm_hidden,
                  speech_token_size=SPEECH_TOKEN_SIZE, llm=encoder,
                  sampling=functools.partial(ras_sampling, top_p=0.8, top_k=25, win_size=10, tau_r=0.1))
    torch.manual_seed(seed + 1)
    for module in (llm.llm_embedding, llm.speech_embedding, llm.llm_decoder):
        for p in module.parameters():
            torch.nn.init.normal_(p, std=0.02 if p.dim() > 1 else 0.01)
    with torch.no_grad():
        # A random head almost never picks eos, so every utterance would run to max_len (20 tokens per text
        # token). Raise eos's bias so that, once min_len allows it, an utterance ends after a few more tokens.
        llm.llm_decoder.bias[SPEECH_TOKEN_SIZE] += EOS_BIAS
    return llm.eval()


def build_flow(sizes: Sizes, seed: int) -> CausalMaskedDiffWithXvec:
    """Upstream's CausalMaskedDiffWithXvec with the cosyvoice2.yaml settings."""
    torch.manual_seed(seed)
    encoder = UpsampleConformerEncoder(
        input_size=512, output_size=512, attention_heads=sizes.enc_heads, linear_units=sizes.enc_units,
        num_blocks=sizes.enc_blocks, dropout_rate=0.1, positional_dropout_rate=0.1, attention_dropout_rate=0.1,
        normalize_before=True, input_layer="linear", pos_enc_layer_type="rel_pos_espnet",
        selfattention_layer_type="rel_selfattn", use_cnn_module=False, macaron_style=False, static_chunk_size=25)
    estimator = CausalConditionalDecoder(
        in_channels=320, out_channels=80, channels=sizes.est_channels, dropout=0.0,
        attention_head_dim=sizes.est_head_dim, n_blocks=sizes.est_blocks, num_mid_blocks=sizes.est_mid_blocks,
        num_heads=sizes.est_heads, act_fn="gelu", static_chunk_size=50, num_decoding_left_chunks=-1)
    cfm_params = DictConfig({"sigma_min": 1e-06, "solver": "euler", "t_scheduler": "cosine",
                             "training_cfg_rate": 0.2, "inference_cfg_rate": 0.7, "reg_loss_type": "l1"})
    # CausalConditionalCFM seeds torch with 0 to draw its fixed noise; reseed afterwards for the weights.
    decoder = CausalConditionalCFM(in_channels=240, n_spks=1, spk_emb_dim=80, cfm_params=cfm_params,
                                   estimator=estimator)
    torch.manual_seed(seed + 1)
    flow = CausalMaskedDiffWithXvec(input_size=512, output_size=80, spk_embed_dim=192, output_type="mel",
                                    vocab_size=SPEECH_TOKEN_SIZE, input_frame_rate=25, only_mask_loss=True,
                                    token_mel_ratio=2, pre_lookahead_len=3, encoder=encoder, decoder=decoder)
    return flow.eval()


def build_hift(sizes: Sizes, seed: int) -> HiFTGenerator:
    """Upstream's HiFTGenerator at 24 kHz (upsample 8·5·3, iSTFT 16/4), weight norm kept as upstream runs it."""
    torch.manual_seed(seed)
    f0 = ConvRNNF0Predictor(num_class=1, in_channels=80, cond_channels=sizes.f0_channels)
    hift = HiFTGenerator(
        in_channels=80, base_channels=sizes.hift_channels, nb_harmonics=8, sampling_rate=24000, nsf_alpha=0.1,
        nsf_sigma=0.003, nsf_voiced_threshold=10, upsample_rates=[8, 5, 3], upsample_kernel_sizes=[16, 11, 7],
        istft_params={"n_fft": 16, "hop_len": 4}, resblock_kernel_sizes=[3, 7, 11],
        resblock_dilation_sizes=[[1, 3, 5], [1, 3, 5], [1, 3, 5]], source_resblock_kernel_sizes=[7, 7, 11],
        source_resblock_dilation_sizes=[[1, 3, 5], [1, 3, 5], [1, 3, 5]], lrelu_slope=0.1, audio_limit=0.99,
        f0_predictor=f0)
    # Random weights put f0 near 0.2 Hz (all unvoiced); scale the f0 head so that f0 straddles the 10 Hz voicing
    # threshold and both the sine (voiced) and the noise (unvoiced) paths of the source are exercised.
    with torch.no_grad():
        f0.classifier.weight.mul_(F0_SCALE)
        f0.classifier.bias.mul_(F0_SCALE)
    return hift.eval()


def build_all(size: str, text_vocab: int, seed: int):
    """(llm, flow, hift) with seeded random weights; `text_vocab` sizes the Qwen embedding for the reduced build."""
    sizes = SIZES[size]
    vocab = sizes.text_vocab or text_vocab
    return build_llm(sizes, vocab, seed), build_flow(sizes, seed + 10), build_hift(sizes, seed + 20)


os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
