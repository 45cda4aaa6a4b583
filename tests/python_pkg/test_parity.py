"""The package's numbers against the committed PyTorch/transformers fixtures, at the C++ tests' tolerances:
attentions 1e-5 (fp32 softmax, another summation order), hidden states, q/k/v and the pooler 1e-4
(errors grow through the LayerNorms), toy parameters bit for bit (RNG-produced) and toy outputs 1e-6,
head statistics 1e-5 (from the engine's attentions)."""
import numpy as np
import pytest

import attnlab
from conftest import FIXTURES, MINILM, TINY, load_fixture


def assert_close(got, want, tol, what):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, reference {want.shape}"
    diff = np.abs(got - want)
    worst = float(diff.max()) if diff.size else 0.0
    assert worst <= tol, f"{what}: max diff {worst:.3g} at {np.unravel_index(diff.argmax(), diff.shape)} > {tol}"


@pytest.mark.parametrize("name", ["tiny-random", "minilm"])
def test_every_output_matches_transformers(name, request):
    model = request.getfixturevalue("tiny" if name == "tiny-random" else "minilm")
    for case in load_fixture(f"engine/{name}.json")["cases"]:
        out = model(case["text"], case["pair"], output_hidden_states=True, output_qkv=True)
        what = f"{name} {case['text']!r}"
        assert out.input_ids == case["input_ids"], what
        assert out.word_ids == case["word_ids"], what
        assert_close(out.attentions, case["attentions"], 1e-5, what + " attentions")
        assert_close(out.hidden_states, case["hidden_states"], 1e-4, what + " hidden_states")
        for part in ("query", "key", "value"):
            assert_close(getattr(out, part), case[part], 1e-4, f"{what} {part}")
        # The last hidden state is the last layer's output, bit for bit.
        assert np.array_equal(out.last_hidden_state, out.hidden_states[-1])


def golden_cases():
    meta = load_fixture("bert/tiny-random/cases.json")
    data = np.fromfile(FIXTURES / "bert" / "tiny-random" / "cases.bin", dtype="<f4")

    def slice_of(entry):
        n = int(np.prod(entry["shape"]))
        return data[entry["offset"] : entry["offset"] + n].reshape(entry["shape"])

    return meta["cases"], slice_of


def test_batch_and_pooler_match_transformers(tiny):
    """tools/make_bert_fixtures.py's cases: single inputs through m(...), the padded batch through m.batch
    (no padding here: each input's rows and columns are its own tokens)."""
    cases, slice_of = golden_cases()
    for case in cases:
        pairs = case["pairs"] or [None] * len(case["texts"])
        items = [t if p is None else (t, p) for t, p in zip(case["texts"], pairs)]
        outs = tiny.batch(items) if len(items) > 1 else [tiny(case["texts"][0], pairs[0])]
        att, hidden, pool = (slice_of(case[k]) for k in ("attentions", "last_hidden_state", "pooler_output"))
        for b, out in enumerate(outs):
            n = sum(case["attention_mask"][b])
            what = f"{case['name']}[{b}]"
            assert out.input_ids == case["input_ids"][b][:n], what
            assert out.token_type_ids == case["token_type_ids"][b][:n], what
            assert out.tokens == case["tokens"][b][:n], what
            assert_close(out.attentions, att[b][:, :, :n, :n], 1e-5, what + " attentions")
            assert_close(out.last_hidden_state, hidden[b][:n], 1e-4, what + " last_hidden_state")
            assert_close(out.pooler_output, pool[b], 1e-4, what + " pooler_output")


def test_tokenizer_matches_tokenizers():
    if not (MINILM / "vocab.txt").exists():
        pytest.skip("offline model missing")
    model = attnlab.Model(str(MINILM), tokenizer_only=True)
    fixture = load_fixture("tokenizer_cases.json")
    for case in fixture["cases"]:
        # Invalid UTF-8 cases: the reference tokenized Python's decode(errors="replace") of the bytes.
        text = case["text"] if "text" in case else bytes.fromhex(case["text_hex"]).decode("utf-8", errors="replace")
        pair = case.get("pair")
        if "pair_hex" in case:
            pair = bytes.fromhex(case["pair_hex"]).decode("utf-8", errors="replace")
        enc = model.tokenize(text, pair, max_length=case.get("max_length"))
        what = repr((text, pair))
        assert enc.tokens == case["tokens"], what
        assert enc.input_ids == case["ids"], what
        assert enc.token_type_ids == case["type_ids"], what
        assert enc.word_ids == case["word_ids"], what
        assert enc.truncated == case["truncated"], what


@pytest.mark.parametrize("seed", [103, 0, 42, 2024, -5])
def test_toy_is_pytorch_bit_for_bit(seed):
    fx = load_fixture(f"toy_seed{seed}.json")
    t = attnlab.toy(seed)
    for name, layer in fx["parameters"].items():
        for part in ("weight", "bias"):
            got = t.parameters[name][part]
            assert got.dtype == np.float32
            assert np.array_equal(got, np.asarray(layer[part], dtype=np.float32)), f"{name}.{part} seed {seed}"
    assert np.array_equal(t.input, np.asarray(fx["input"], dtype=np.float32))
    for attr, key in [("non_attention_output", "non_attention_output"), ("attention_weights", "attention_weights"),
                      ("attention_output", "attention_output"), ("queries", "queries"), ("keys", "keys"),
                      ("values", "values"), ("scores", "scores")]:
        assert_close(getattr(t, attr), fx[key], 1e-6, f"{attr} seed {seed}")


@pytest.mark.parametrize("name", ["tiny-random", "minilm"])
def test_head_stats_match_the_reference(name, request):
    model = request.getfixturevalue("tiny" if name == "tiny-random" else "minilm")
    fx = load_fixture(f"head_stats/{name}.json")
    assert list(attnlab.HEAD_STAT_NAMES) == fx["stats"]
    for case in fx["cases"]:
        stats = model(case["text"], case["pair"]).head_stats()
        for stat in fx["stats"]:
            want = [[head[stat] for head in layer] for layer in case["heads"]]
            assert stats[stat].dtype == np.float64
            assert_close(stats[stat], want, 1e-5, f"{name} {case['text']!r} {stat}")


@pytest.mark.parametrize("name", ["tiny-random", "minilm"])
def test_attribution_methods_match_the_references(name, request):
    """Output.rollout/flow/norm/alti/value_zeroing against tools/make_analysis_fixtures.py (transformers +
    the papers' reference computations, networkx for flow): 1e-5, flow 1e-4, as the C++ tests."""
    model = request.getfixturevalue("tiny" if name == "tiny-random" else "minilm")
    fx = load_fixture(f"analysis/{name}.json")
    for case in fx["cases"]:
        out = model(case["text"], case["pair"])
        assert out.tokens == case["tokens"]
        got = {"rollout": out.rollout(), "rollout-noresidual": out.rollout(residual=False), "flow": out.flow(),
               "norm": out.norm(), "norm-heads": out.norm(heads=True), "alti": out.alti(),
               "alti-rollout": out.alti(rollout=True), "value-zeroing": out.value_zeroing()}
        assert set(got) == set(attnlab.METHODS)
        for method, scores in got.items():
            assert scores.dtype == np.float32
            assert_close(scores, case[method], 1e-4 if method == "flow" else 1e-5, f"{name} {case['text']!r} {method}")
        # rollout and flow come from the kept attentions; a run that kept none runs the model again for them.
        bare = model(case["text"], case["pair"], output_attentions=False)
        assert bare.attentions is None
        np.testing.assert_array_equal(bare.rollout(), got["rollout"])
        np.testing.assert_array_equal(bare.flow(), got["flow"])
    with pytest.raises(attnlab.InputError, match="flow"):
        model(" ".join(["word"] * 70)).flow()
    with pytest.raises(attnlab.UsageError):
        out.attribution("saliency")
