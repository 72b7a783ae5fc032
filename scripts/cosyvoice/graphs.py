"""ONNX export wrappers around upstream's modules: each wrapper calls upstream code and only fixes the I/O contract
(flat KV tensors, merged LLM ids, STFT/iSTFT left to the worker because ONNX has no complex tensors)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from transformers.cache_utils import DynamicCache


class LlmStep(torch.nn.Module):
    """Merged-id Qwen2LM step: text ids [0, V), speech ids V + s, sos V + 6564, task_id V + 6565."""

    def __init__(self, llm):
        super().__init__()
        self.body = llm.llm.model.model  # Qwen2Model
        self.decoder = llm.llm_decoder
        self.layers = len(self.body.layers)
        self.table = torch.nn.Parameter(torch.cat([
            llm.llm.model.model.embed_tokens.weight, llm.speech_embedding.weight, llm.llm_embedding.weight]),
            requires_grad=False)

    def forward(self, input_ids, *past):
        embeds = F.embedding(input_ids, self.table)
        cache = DynamicCache()
        for i in range(self.layers):
            cache.update(past[2 * i], past[2 * i + 1], i)
        start = past[0].shape[2]
        positions = (torch.arange(input_ids.shape[1], device=input_ids.device) + start).unsqueeze(0)
        # A ready 4-D additive causal mask: transformers' own mask builder bakes the traced lengths into the graph.
        keys = torch.arange(start + input_ids.shape[1], device=input_ids.device)
        allowed = keys.unsqueeze(0) <= positions[0].unsqueeze(1)
        mask = torch.where(allowed, 0.0, torch.finfo(torch.float32).min).to(embeds.dtype)[None, None]
        out = self.body(inputs_embeds=embeds, attention_mask=mask, past_key_values=cache, position_ids=positions,
                        cache_position=positions[0], use_cache=True, return_dict=True)
        logp = self.decoder(out.last_hidden_state[:, -1]).log_softmax(dim=-1)
        presents = []
        for keys, values in out.past_key_values.to_legacy_cache():
            presents.extend([keys, values])
        return (logp, *presents)


class FlowEncoder(torch.nn.Module):
    """The first half of upstream's CausalMaskedDiffWithXvec.inference: tokens (prompt ++ generated) to mu, spks."""

    def __init__(self, flow, streaming: bool):
        super().__init__()
        self.flow = flow
        self.streaming = streaming

    def forward(self, token, embedding):
        flow = self.flow
        spks = flow.spk_embed_affine_layer(F.normalize(embedding, dim=1))
        x = flow.input_embedding(torch.clamp(token, min=0))
        lengths = torch.ones(1, dtype=torch.int32) * token.shape[1]
        if self.streaming:
            x, context = x[:, :-flow.pre_lookahead_len], x[:, -flow.pre_lookahead_len:]
            h, _ = flow.encoder(x, lengths, context=context, streaming=True)
        else:
            h, _ = flow.encoder(x, lengths, streaming=False)
        mu = flow.encoder_proj(h).transpose(1, 2)
        return mu, spks


class Estimator(torch.nn.Module):
    """Upstream's CausalConditionalDecoder with its streaming flag fixed, as upstream's export_onnx.py does."""

    def __init__(self, estimator, streaming: bool):
        super().__init__()
        self.estimator = estimator
        self.streaming = streaming

    def forward(self, x, mask, mu, t, spks, cond):
        return self.estimator(x, mask, mu, t, spks, cond, streaming=self.streaming)


class HiftF0(torch.nn.Module):
    def __init__(self, hift):
        super().__init__()
        self.f0 = hift.f0_predictor

    def forward(self, speech_feat):
        return self.f0(speech_feat)


class HiftDecoder(torch.nn.Module):
    """HiFTGenerator.decode between its STFT and its iSTFT (the worker does both)."""

    def __init__(self, hift):
        super().__init__()
        self.hift = hift

    def forward(self, speech_feat, source_stft):
        h = self.hift
        x = h.conv_pre(speech_feat)
        for i in range(h.num_upsamples):
            x = F.leaky_relu(x, h.lrelu_slope)
            x = h.ups[i](x)
            if i == h.num_upsamples - 1:
                x = h.reflection_pad(x)
            si = h.source_downs[i](source_stft)
            si = h.source_resblocks[i](si)
            x = x + si
            xs = None
            for j in range(h.num_kernels):
                if xs is None:
                    xs = h.resblocks[i * h.num_kernels + j](x)
                else:
                    xs += h.resblocks[i * h.num_kernels + j](x)
            x = xs / h.num_kernels
        x = F.leaky_relu(x)
        x = h.conv_post(x)
        bins = h.istft_params["n_fft"] // 2 + 1
        magnitude = torch.clip(torch.exp(x[:, :bins, :]), max=1e2)
        phase = torch.sin(x[:, bins:, :])
        return magnitude, phase


def export(module, args, path, input_names, output_names, dynamic_axes, opset=17):
    """torch.onnx.export with the TorchScript exporter (no onnxscript needed), fp32, constant folding."""
    with torch.no_grad():
        torch.onnx.export(module, args, path, input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=opset, do_constant_folding=True, dynamo=False)
