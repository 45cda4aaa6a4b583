#!/usr/bin/env python3
"""Reference values for attnlab's attribution methods (include/attnlab/analysis.h), computed from
transformers' BertModel (eager, fp32, output_attentions / output_hidden_states, forward hooks) with
torch in float64, numpy and networkx, following each paper's reference code step by step:

- rollout, rollout-noresidual: samiraabnar/attention_flow compute_joint_attention on the head
  means (with + I and row normalisation, or without).
- flow: the same repository's get_adjmat + compute_flows (networkx maximum_flow_value with
  edmonds_karp) on the residual matrices rownorm(mean_h A + I), rows of the last layer, each
  divided by its sum.
- norm, norm-heads: gorokoba560/norm-analysis-of-transformer: f_h(x_j) = value_j^h W_O^h (value
  with its bias, no b_O), ||sum_h alpha f|| per layer and ||alpha f|| per head.
- alti, alti-rollout: mt-upc/transformer-contributions ModelWrapper.get_contributions at its
  head commit 4f89039 (since d0f1468 the LayerNorm scale is 1 / std(-1, unbiased=False), the std
  LayerNorm itself divides by), then normalize_contributions(scaling='min_sum',
  resultant_norm=||y||_1) and compute_joint_attention (no residual).
- value-zeroing: hmohebbi/ValueZeroing scoring/value_zeroing.py: each layer rerun on its input with
  token t's value vectors zeroed in every head (a hook on attention.self.value), cosine distance to
  the original output, rows divided by their sums. Cosines in float64 (the distances are ~1e-6).

The captured float32 tensors are widened to float64 before any arithmetic, so the goldens carry no
float32 rounding of their own. Writes tests/fixtures/analysis/<model>.json. Run with
tools/.venv/bin/python.
"""
import json
import pathlib
import sys

import networkx as nx
import numpy as np
import torch
import torch.nn.functional as F
import transformers
from transformers import AutoModel, AutoTokenizer

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "analysis"
MODELS = {
    "tiny-random": ROOT / "tests" / "fixtures" / "bert" / "tiny-random" / "model",
    "minilm": ROOT / "models" / "all-MiniLM-L6-v2",
}
CASES = [
    ("The cat sat on the mat.", None),
    ("Attention is not explanation, or is it?", None),
    ("Where is the station?", "It is next to the old bank."),
]


def joint_attention(mats, add_residual):
    """compute_joint_attention: [layers, n, n] -> the running products (float64)."""
    mats = np.asarray(mats, dtype=np.float64)
    if add_residual:
        mats = mats + np.eye(mats.shape[1])[None, ...]
        mats = mats / mats.sum(axis=-1)[..., None]
    joint = np.zeros(mats.shape)
    joint[0] = mats[0]
    for i in range(1, mats.shape[0]):
        joint[i] = mats[i].dot(joint[i - 1])
    return joint


def attention_flow(head_means):
    """get_adjmat + compute_flows for the last layer's nodes: [n, n], rows normalised."""
    res = head_means + np.eye(head_means.shape[1])[None, ...]
    res = res / res.sum(axis=-1)[..., None]
    layers, n, _ = res.shape
    graph = nx.DiGraph()
    for layer in range(1, layers + 1):
        for a in range(n):
            for b in range(n):
                if res[layer - 1][a][b] != 0:
                    graph.add_edge(layer * n + a, (layer - 1) * n + b, capacity=float(res[layer - 1][a][b]))
    flows = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            flows[i][j] = nx.maximum_flow_value(graph, layers * n + i, j,
                                                flow_func=nx.algorithms.flow.edmonds_karp)
        flows[i] /= flows[i].sum()
    return flows


def l_transform(x, w_ln):
    """contributions.py's l_transform: x (I - 1/d 11^T) diag(w_ln)."""
    d = w_ln.size(0)
    mean_transf = torch.eye(d, dtype=x.dtype) - torch.ones(d, d, dtype=x.dtype) / d
    return torch.einsum("...e,ef,fg->...g", x, mean_transf, torch.diag(w_ln))


class Reference:
    """transformers' BertModel with the hooks the methods read: each layer's value vectors (the
    attention.self.value output, zeroed at one token while value zeroing reruns a layer) and the
    input of attention.output.LayerNorm."""

    def __init__(self, model_dir):
        self.tok = AutoTokenizer.from_pretrained(model_dir)
        self.model = AutoModel.from_pretrained(model_dir, attn_implementation="eager").eval()
        self.captured = {}
        self.zero_token = None
        for i, layer in enumerate(self.model.encoder.layer):
            layer.attention.self.value.register_forward_hook(self._value_hook(i))
            layer.attention.output.LayerNorm.register_forward_pre_hook(self._pre_ln_hook(i))

    def _value_hook(self, layer):
        def f(_module, _inputs, output):
            self.captured[("value", layer)] = output[0].detach().clone()
            if self.zero_token is not None:
                output = output.clone()
                output[:, self.zero_token, :] = 0
                return output
        return f

    def _pre_ln_hook(self, layer):
        def f(_module, inputs):
            self.captured[("pre_ln", layer)] = inputs[0][0].detach().clone()
        return f

    def encode(self, text, pair):
        return self.tok(text, pair, return_tensors="pt") if pair else self.tok(text, return_tensors="pt")

    def compute(self, enc, methods, dtype=torch.float64):
        """The methods' scores for one input (numpy arrays). dtype float64 for the goldens; the
        benchmark runs float32, as the reference repositories do."""
        model, cfg = self.model, self.model.config
        heads, hidden = cfg.num_attention_heads, cfg.hidden_size
        dh = hidden // heads
        self.captured.clear()
        with torch.no_grad():
            out = model(**enc, output_hidden_states=True, output_attentions=True)
        n = enc["input_ids"].shape[1]
        layers = len(model.encoder.layer)
        att = torch.stack(out.attentions)[:, 0].to(dtype)          # [L, H, n, n]
        states = torch.stack(out.hidden_states)[:, 0].to(dtype)    # [L + 1, n, hidden]
        head_means = (att.sum(dim=1) / heads).numpy()
        result = {}
        if "rollout" in methods:
            result["rollout"] = joint_attention(head_means, True)[-1]
        if "rollout-noresidual" in methods:
            result["rollout-noresidual"] = joint_attention(head_means, False)[-1]
        if "flow" in methods:
            result["flow"] = attention_flow(head_means)

        norms, norm_heads, contributions = [], [], []
        decompose = {"norm", "norm-heads", "alti", "alti-rollout"} & set(methods)
        for l in range(layers if decompose else 0):
            mod = model.encoder.layer[l].attention
            value = self.captured[("value", l)].to(dtype).view(n, heads, dh).permute(1, 0, 2)  # [H, n, dh]
            dense = mod.output.dense.weight.detach().to(dtype).view(hidden, heads, dh)
            transformed = torch.einsum("hsv,dhv->hsd", value, dense)                       # [H, n, hidden]
            weighted = torch.einsum("hks,hsd->hksd", att[l], transformed)                   # [H, n, n, hidden]
            summed = weighted.sum(dim=0)                                                    # [n, n, hidden]
            if {"norm", "norm-heads"} & set(methods):
                norm_heads.append(torch.norm(weighted, dim=-1).numpy())
                norms.append(torch.norm(summed, dim=-1).numpy())
            if not {"alti", "alti-rollout"} & set(methods):
                continue
            # ALTI (get_contributions, batch dimension dropped)
            residual = torch.einsum("sk,sd->skd", torch.eye(n, dtype=dtype), states[l])
            residual_weighted = summed + residual
            ln = mod.output.LayerNorm
            ln_w, ln_b = ln.weight.detach().to(dtype), ln.bias.detach().to(dtype)
            transformed_vectors = l_transform(residual_weighted, ln_w)
            attn_output = transformed_vectors.sum(dim=1)
            bias_term = l_transform(mod.output.dense.bias.detach().to(dtype), ln_w)
            pre_ln = self.captured[("pre_ln", l)].to(dtype)
            std_coef = 1 / (pre_ln + ln.eps).std(-1, unbiased=False).view(-1, 1)
            resultant = (attn_output + bias_term) * std_coef + ln_b
            transformed_std = transformed_vectors * std_coef.unsqueeze(-1)
            importance = -F.pairwise_distance(transformed_std, resultant.unsqueeze(1), p=1)
            # normalize_contributions 'min_sum' with resultant_norm
            resultant_norm = torch.norm(resultant, p=1, dim=-1)
            c = torch.clip(importance + torch.abs(resultant_norm.unsqueeze(1)), min=0)
            contributions.append((c / c.sum(dim=-1, keepdim=True)).numpy())
        if "norm" in methods:
            result["norm"] = np.stack(norms)
        if "norm-heads" in methods:
            result["norm-heads"] = np.stack(norm_heads)
        if "alti" in methods:
            result["alti"] = np.stack(contributions)
        if "alti-rollout" in methods:
            result["alti-rollout"] = joint_attention(np.stack(contributions), False)[-1]
        if "value-zeroing" in methods:
            result["value-zeroing"] = self.value_zeroing(out, n)
        return result

    def value_zeroing(self, out, n):
        """scoring/value_zeroing.py: rerun each layer on its input once per token with that token's
        values zeroed; cosine distances in float64; rows divided by their sums."""
        scores = np.zeros((len(self.model.encoder.layer), n, n))
        for l, layer_module in enumerate(self.model.encoder.layer):
            original = out.hidden_states[l + 1][0].double().numpy()
            for t in range(n):
                self.zero_token = t
                try:
                    with torch.no_grad():
                        result = layer_module(out.hidden_states[l])
                finally:
                    self.zero_token = None
                changed = (result[0] if isinstance(result, tuple) else result)[0].double().numpy()
                cos = (changed * original).sum(-1) / (np.linalg.norm(changed, axis=-1) *
                                                      np.linalg.norm(original, axis=-1))
                scores[l, :, t] = np.clip(1.0 - cos, 0.0, 2.0)
        return scores / scores.sum(axis=-1, keepdims=True)


METHODS = ["rollout", "rollout-noresidual", "flow", "norm", "norm-heads", "alti", "alti-rollout", "value-zeroing"]


def run(model_dir, cases_wanted):
    ref = Reference(model_dir)
    # The value-zeroing reruns go through the layer modules themselves: with nothing zeroed, a rerun
    # must give the forward pass's output exactly.
    enc = ref.encode(*cases_wanted[0])
    with torch.no_grad():
        out = ref.model(**enc, output_hidden_states=True)
        again = ref.model.encoder.layer[0](out.hidden_states[0])
    again = again[0] if isinstance(again, tuple) else again
    assert torch.equal(again, out.hidden_states[1]), "layer rerun differs from the forward pass"
    cases = []
    for text, pair in cases_wanted:
        enc = ref.encode(text, pair)
        case = {"text": text, "pair": pair, "tokens": ref.tok.convert_ids_to_tokens(enc["input_ids"][0]),
                "input_ids": enc["input_ids"][0].tolist()}
        for key, value in ref.compute(enc, METHODS).items():
            case[key] = np.vectorize(lambda v: float("%.12g" % v))(value).tolist()
        cases.append(case)
    return cases


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name in sys.argv[1:] or list(MODELS):
        doc = {"generator": "tools/make_analysis_fixtures.py", "transformers_version": transformers.__version__,
               "torch_version": torch.__version__, "networkx_version": nx.__version__, "model": name,
               "cases": run(MODELS[name], CASES)}
        path = OUT / f"{name}.json"
        path.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} kB)")


if __name__ == "__main__":
    main()
