"""The package on a Llama-architecture decoder: token ids in (a list or an int64 array, exactly as
transformers' input_ids), every attention, GQA-sized keys and values, the last position's logits and the top
next tokens, against transformers' eager forward (tests/fixtures/decoders, tools/make_llama_fixtures.py)."""
import json

import numpy as np
import pytest

import attnlab
from conftest import FIXTURES, run_cli

GQA = FIXTURES / "decoders" / "llama-gqa"


def golden(name):
    meta = json.loads((FIXTURES / "decoders" / name / "cases.json").read_text())
    blob = np.fromfile(FIXTURES / "decoders" / name / "cases.bin", dtype="<f4")

    def get(entry):
        n = int(np.prod(entry["shape"]))
        return blob[entry["offset"]:entry["offset"] + n].reshape(entry["shape"])
    return meta["cases"], get


@pytest.fixture(scope="module")
def gqa():
    return attnlab.Model(str(GQA / "model"))


def test_info_names_the_family(gqa):
    config = json.loads((GQA / "model" / "config.json").read_text())
    info = gqa.info
    assert info["family"] == "llama" and info["model_type"] == "llama" and info["causal"] and info["has_lm_head"]
    assert info["num_kv_heads"] == config["num_key_value_heads"] < info["num_heads"]


def test_ids_in_match_transformers(gqa):
    cases, get = golden("llama-gqa")
    for case in cases:
        ids = case["input_ids"]
        for given in (ids, np.asarray(ids, dtype=np.int64)):
            out = gqa(given, output_qkv=True)
            assert out.input_ids == ids
            np.testing.assert_allclose(out.attentions, get(case["attentions"]), atol=1e-5, rtol=0)
            want_logits = get(case["logits"])
            np.testing.assert_allclose(out.logits, want_logits.reshape(-1, want_logits.shape[-1])[-1], atol=1e-4, rtol=0)
            layers, heads, n, _ = out.attentions.shape
            assert out.key.shape == (layers, gqa.info["num_kv_heads"], n, gqa.info["head_dim"])
            assert out.query.shape == (layers, heads, n, gqa.info["head_dim"])
        if "top_k" in case:
            top = out.top_k(5)
            assert [t[0] for t in top] == case["top_k"]["ids"][:5]
            np.testing.assert_allclose([t[2] for t in top], get(case["top_k"]["probs"])[:5], atol=1e-5, rtol=0)


def test_text_through_the_tokenizer_marks_bos(gqa):
    cases, _ = golden("llama-gqa")
    case = next(c for c in cases if isinstance(c.get("text"), str))
    out = gqa(case["text"])
    assert out.input_ids == case["input_ids"]
    assert out.encoding.special[0] == "bos"


def test_bad_ids_are_clear_errors(gqa):
    with pytest.raises(TypeError, match="token ids"):
        gqa([1.5, 2.0])
    with pytest.raises(ValueError, match=r"\[0, 2\*\*31\)"):
        gqa([-1, 2])
    with pytest.raises(attnlab.Error, match="outside the vocabulary"):
        gqa([1, 10**6])


def test_head_stats_are_named_bos_eos_as_the_cli_names_them(gqa):
    """A decoder's statistics say bos / eos (BERT's keep cls / sep), keys and values as `attention --method
    head-stats --json` gives them (the CLI's own, checked against the attentions in tests/cli/decoder_cli_test.cpp);
    1e-6: the CLI prints each statistic as a float32."""
    text = "The cat sat on the mat."
    stats = gqa(text).head_stats()
    assert tuple(stats) == gqa.head_stat_names == ("bos", "eos", "punct", "self", "prev", "next", "entropy")
    cli = json.loads(run_cli("attention", "--model", GQA / "model", "--method", "head-stats", "--json", text)[0])
    for name, values in stats.items():
        np.testing.assert_allclose(values, [[h[name] for h in layer] for layer in cli["heads"]], atol=1e-6, rtol=0)
    assert all(label not in ("cls", "sep") for layer in gqa(text).head_labels() for head in layer for label in head)
