"""attnlab: transformer attention computed exactly, as PyTorch and Hugging Face transformers compute it.

The same C++ engine as the ``attnlab`` command, in Python::

    import attnlab
    m = attnlab.Model("bert-base-uncased")        # or a directory in Hugging Face layout
    out = m("The cat sat on the mat.")
    out.tokens                                    # ['[CLS]', 'the', 'cat', ..., '[SEP]']
    out.attentions                                # numpy float32 [layers, heads, n, n], no copy
    out.attentions[0, 0, 0]                       # layer 0, head 0: how [CLS] attends to each token
    out.view()                                    # the interactive viewer, inline in Jupyter
    attnlab.figure(out)                           # the course notebook's 3-panel figure (PNG bytes)
    attnlab.toy(seed=103)                         # the notebook's toy layers, bit-identical to PyTorch

Errors are ``attnlab.Error`` subclasses carrying the CLI's message and exit code; bad argument types
and values raise ``TypeError`` / ``ValueError`` (``UsageError`` and ``InputError`` are ``ValueError``
too). A ``Model`` may be called from several threads at once; forward passes release the GIL.
"""

from __future__ import annotations

import html as _html
import os
import sys
import warnings
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _attnlab
from ._attnlab import Error, FileError, InputError, ModelNotFoundError, NetworkError, UsageError

__version__: str = _attnlab.__version__

__all__ = [
    "Model",
    "Encoding",
    "Output",
    "Toy",
    "Viewer",
    "Image",
    "toy",
    "figure",
    "isa",
    "Error",
    "UsageError",
    "InputError",
    "FileError",
    "NetworkError",
    "ModelNotFoundError",
    "FallbackWarning",
    "HEAD_STAT_NAMES",
    "METHODS",
]

# The attribution methods of Output.attribution(), by name.
METHODS = ("rollout", "rollout-noresidual", "flow", "norm", "norm-heads", "alti", "alti-rollout", "value-zeroing")
# The methods computed from attention alone: Output.attribution() takes them from the kept attentions.
_ATTENTION_ONLY_METHODS = ("rollout", "rollout-noresidual", "flow")

# Clark et al.'s per-head statistics of an encoder (BERT), in the order of the last axis of the native
# head statistics; a causal decoder names the first two "bos" and "eos" (Model.head_stat_names).
HEAD_STAT_NAMES: Tuple[str, ...] = tuple(_attnlab.head_stat_names)

# The notebook's title for the [CLS] row bar chart (cells 3 and 5).
_CLS_TITLE = "BERT [CLS] Attention\n(Real-world Example)"


class FallbackWarning(UserWarning):
    """The default model (bert-base-uncased) could not be had and the offline model replaced it."""


def isa() -> str:
    """The instruction set the kernels run on: ``'scalar'``, ``'avx2'`` or ``'avx512'`` (chosen at run time)."""
    return _attnlab.isa()


# ---- argument checks: TypeError for a wrong type, ValueError for a wrong value.


def _int_arg(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return int(value)


def _str_arg(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    return value


def _optional_str_arg(name: str, value: Any) -> Optional[str]:
    return None if value is None else _str_arg(name, value)


def _bool_arg(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return bool(value)


def _max_length_arg(value: Any) -> int:
    if value is None:
        return 0
    n = _int_arg("max_length", value)
    if n <= 0:
        raise ValueError(f"max_length must be positive, got {n}")
    return n


def _human_bytes(n: float) -> str:
    units = ["B", "kB", "MB", "GB", "TB"]
    u = 0
    while n >= 1000 and u < 4:
        n /= 1000
        u += 1
    return f"{n:.0f} {units[u]}" if u == 0 else f"{n:.1f} {units[u]}"


class _StderrProgress:
    """Default download report: one line on stderr per file, as the CLI prints when not on a terminal."""

    def __init__(self) -> None:
        self._file: Optional[str] = None

    def __call__(self, file: str, done: int, total: int, finished: bool) -> None:
        if file != self._file:
            self._file = file
            size = _human_bytes(total) if total else "size unknown"
            print(f"attnlab: downloading {file} ({size})", file=sys.stderr)


# ---- tokenized inputs


class Encoding:
    """A tokenized input, as Hugging Face's ``BertTokenizerFast(text, pair)`` returns it.

    ``tokens`` (``['[CLS]', ..., '[SEP]']``), ``input_ids``, ``token_type_ids`` (0 for ``[CLS] A [SEP]``,
    1 for ``B [SEP]``), ``word_ids`` (tokenizers' ``word_ids()``, -1 for special tokens) and
    ``truncated`` (the input was cut to the model's length). Pass it to a ``Model`` call to run it.
    """

    __slots__ = ("_native", "text", "pair")

    def __init__(self, native: Any, text: Optional[str], pair: Optional[str]) -> None:
        self._native = native
        self.text = text
        self.pair = pair

    @property
    def tokens(self) -> List[str]:
        return self._native.tokens

    @property
    def input_ids(self) -> List[int]:
        return self._native.input_ids

    @property
    def token_type_ids(self) -> List[int]:
        return self._native.token_type_ids

    @property
    def word_ids(self) -> List[int]:
        return self._native.word_ids

    @property
    def truncated(self) -> bool:
        return self._native.truncated

    @property
    def special(self) -> List[Optional[str]]:
        """Each token's special role ("bos", "eos", "cls", "sep", "pad", "unk", "mask", "special"), None for text."""
        return self._native.special

    def __len__(self) -> int:
        return len(self._native)

    def __repr__(self) -> str:
        return f"Encoding(tokens={self.tokens!r}, input_ids={self.input_ids!r})"


# ---- outputs


class Output:
    """One forward pass: the tokens and every tensor the run kept, as read-only numpy float32 arrays.

    Arrays are views of the engine's own buffers (no copy); each keeps its buffer alive, so it stays
    valid after this object is gone.

    - ``attentions``: ``[layers, heads, n, n]``; row ``q`` of head ``(l, h)`` is how token ``q`` attends
      to every token (transformers' ``output_attentions``, stacked); ``None`` when not asked for.
    - ``last_hidden_state``: ``[n, hidden]``; ``pooler_output``: ``[hidden]`` (``None`` without a pooler).
    - ``hidden_states``: ``[layers + 1, n, hidden]``, ``[0]`` the embeddings (``output_hidden_states=True``).
    - ``query``: ``[layers, heads, n, head_dim]``, ``key``, ``value``: ``[layers, kv_heads, n, head_dim]``,
      bias added, before scaling, after RoPE for rotary models (``output_qkv=True``); query head ``h`` uses
      key/value head ``h // (heads // kv_heads)``.
    - ``logits``: ``[vocab]``, the last position's next-token logits (decoders; ``None`` for encoders);
      ``top_k(k)`` the ``k`` most probable next tokens as ``[(id, token, prob)]``.
    """

    def __init__(self, model: "Model", native: Any, encoding: Encoding) -> None:
        self._model = model
        self._native = native
        self.encoding = encoding
        self._arrays: Dict[str, Any] = {}

    def _array(self, name: str) -> Optional[np.ndarray]:
        if name not in self._arrays:
            self._arrays[name] = getattr(self._native, name)
        return self._arrays[name]

    @property
    def tokens(self) -> List[str]:
        return self.encoding.tokens

    @property
    def input_ids(self) -> List[int]:
        return self.encoding.input_ids

    @property
    def token_type_ids(self) -> List[int]:
        return self.encoding.token_type_ids

    @property
    def word_ids(self) -> List[int]:
        return self.encoding.word_ids

    @property
    def attentions(self) -> Optional[np.ndarray]:
        return self._array("attentions")

    @property
    def last_hidden_state(self) -> np.ndarray:
        return self._array("last_hidden_state")  # type: ignore[return-value]

    @property
    def pooler_output(self) -> Optional[np.ndarray]:
        return self._array("pooler_output")

    @property
    def hidden_states(self) -> Optional[np.ndarray]:
        return self._array("hidden_states")

    @property
    def query(self) -> Optional[np.ndarray]:
        return self._array("query")

    @property
    def key(self) -> Optional[np.ndarray]:
        return self._array("key")

    @property
    def value(self) -> Optional[np.ndarray]:
        return self._array("value")

    @property
    def logits(self) -> Optional[np.ndarray]:
        return self._array("logits")

    def top_k(self, k: int = 10) -> List[Tuple[int, str, float]]:
        """The ``k`` most probable next tokens (softmax of ``logits`` in float32), most probable first."""
        k = _int_arg("k", k)
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        return self._model._engine.top_next_tokens(self._native, k)

    def _checked(self, layer: Any, head: Any, query: Any = 0) -> Tuple[int, int, int]:
        att = self.attentions
        if att is None:
            raise ValueError("this output was run with output_attentions=False")
        indices = (_int_arg("layer", layer), _int_arg("head", head), _int_arg("query", query))
        for name, value, count in zip(("layer", "head", "query"), indices, att.shape[:3]):
            if not 0 <= value < count:
                raise ValueError(f"{name} {value} is out of range [0, {count - 1}]")
        return indices

    def head(self, layer: int, head: int) -> np.ndarray:
        """One head's attention matrix ``[n, n]`` (a view of ``attentions``)."""
        layer, head, _ = self._checked(layer, head)
        return self.attentions[layer, head]  # type: ignore[index]

    def row(self, layer: int, head: int, query: int = 0) -> np.ndarray:
        """How token ``query`` attends to every token in head ``(layer, head)``: ``[n]``, sums to 1."""
        layer, head, query = self._checked(layer, head, query)
        return self.attentions[layer, head, query]  # type: ignore[index]

    def head_stats(self) -> Dict[str, np.ndarray]:
        """Clark et al. 2019's statistics of every head, each ``[layers, heads]`` float64: ``cls``, ``sep``,
        ``punct`` (attention to those tokens), ``self``, ``prev``, ``next`` and ``entropy`` (nats). A causal
        decoder's keys are ``bos`` (the bos token, or the first token when the tokenizer adds no bos) and
        ``eos`` instead of ``cls`` and ``sep`` (``Model.head_stat_names``)."""
        stats = self._native.head_stats()
        return {name: stats[:, :, k] for k, name in enumerate(self._model.head_stat_names)}

    def head_labels(self) -> List[List[List[str]]]:
        """The labels each head earns by Clark et al.'s thresholds (``broad``, ``prev``, ``next``, ``cls``,
        ``sep``, ``punct``; a decoder's ``bos``, ``eos``), as ``[layer][head] -> list``."""
        flat = self._native.head_labels(self._model.info["causal"])
        heads = self._model.num_heads
        return [flat[i : i + heads] for i in range(0, len(flat), heads)]

    def attribution(self, method: str, force: bool = False) -> np.ndarray:
        """One of attnlab's attribution methods on this input (``attnlab.METHODS``; README, "Attribution
        methods"), float32: ``[n, n]`` for ``rollout``, ``rollout-noresidual``, ``flow``, ``alti-rollout``;
        ``[layers, n, n]`` for ``norm``, ``alti``, ``value-zeroing``; ``[layers, heads, n, n]`` for
        ``norm-heads``. Row ``i`` is token ``i``'s attribution over the tokens. ``flow`` refuses inputs
        over 64 tokens unless ``force``. ``rollout``, ``rollout-noresidual`` and ``flow`` use the attentions
        this output kept; the others (and these, when the run kept no attentions) run the model again
        with what the method needs."""
        if not isinstance(method, str):
            raise TypeError(f"method must be a str, got {type(method).__name__}")
        force = _bool_arg("force", force)
        if method in _ATTENTION_ONLY_METHODS and self._array("attentions") is not None:
            return self._native.attention_attribution(method, force)
        return self._model._engine.analyze(self.encoding._native, method, force)

    def rollout(self, residual: bool = True) -> np.ndarray:
        """Attention rollout (Abnar & Zuidema 2020), ``[n, n]``; ``residual=False``: without the ``+ I``."""
        return self.attribution("rollout" if _bool_arg("residual", residual) else "rollout-noresidual")

    def flow(self, force: bool = False) -> np.ndarray:
        """Attention flow (Abnar & Zuidema 2020), ``[n, n]``; inputs over 64 tokens need ``force``."""
        return self.attribution("flow", force)

    def norm(self, heads: bool = False) -> np.ndarray:
        """Norm-based analysis (Kobayashi et al. 2020): ``[layers, n, n]``, or per head
        ``[layers, heads, n, n]`` with ``heads=True``."""
        return self.attribution("norm-heads" if _bool_arg("heads", heads) else "norm")

    def alti(self, rollout: bool = False) -> np.ndarray:
        """ALTI (Ferrando et al. 2022) per layer ``[layers, n, n]``, or aggregated over layers ``[n, n]``."""
        return self.attribution("alti-rollout" if _bool_arg("rollout", rollout) else "alti")

    def value_zeroing(self) -> np.ndarray:
        """Value zeroing (Mohebbi et al. 2023), ``[layers, n, n]``, rows normalised."""
        return self.attribution("value-zeroing")

    def figure(self, kind: str = "notebook", **options: Any) -> "Image":
        """``attnlab.figure(self, kind, ...)``."""
        return figure(self, kind, **options)

    def view(self, compare: Optional["Output"] = None, layers: Optional[Sequence[int]] = None,
             precision: str = "f32") -> "Viewer":
        """The interactive viewer (head, model, matrix and neuron views) of this input, or of this and
        ``compare`` side by side. ``layers`` limits the page to those layers; ``precision='f16'`` halves
        its size. Runs the input again when the query/key vectors were not kept."""
        outputs = [self] if compare is None else [self, compare]
        for o in outputs:
            if not isinstance(o, Output):
                raise TypeError(f"compare must be an attnlab.Output, got {type(o).__name__}")
            if o._model is not self._model:
                raise ValueError("compare must come from the same Model")
        layer_list: List[int] = []
        if layers is not None:
            layer_list = [_int_arg("layers[]", x) for x in layers]
            for x in layer_list:
                if not 0 <= x < self._model.num_layers:
                    raise ValueError(f"layer {x} is out of range [0, {self._model.num_layers - 1}]")
        if precision not in ("f32", "f16"):
            raise ValueError(f"precision must be 'f32' or 'f16', got {precision!r}")
        natives = [o._with_qkv()._native for o in outputs]
        page, text = self._model._engine.viewer_html(
            [o.encoding.text or " ".join(o.tokens) for o in outputs], [o.encoding.pair for o in outputs], natives,
            precision, sorted(set(layer_list)), True)
        return Viewer(page, text)

    def _with_qkv(self) -> "Output":
        if self.query is not None and self.attentions is not None:
            return self
        return self._model._run(self.encoding, attentions=True, hidden_states=False, qkv=True)

    def _repr_html_(self) -> str:
        return self.view()._repr_html_()

    def __repr__(self) -> str:
        return f"Output(tokens={self.tokens!r}, attentions={None if self.attentions is None else self.attentions.shape})"


# ---- the model


class Model:
    """A BERT-family encoder, loaded once, run many times.

    ``model``: a directory in Hugging Face layout (config.json, model.safetensors, vocab.txt or
    tokenizer.json) or a Hub id (``"bert-base-uncased"``, ``"org/name"``) looked up in the
    huggingface_hub cache and downloaded when missing (``HF_ENDPOINT``, ``HF_HUB_CACHE``,
    ``HF_HUB_OFFLINE``, ``HF_TOKEN`` as huggingface_hub reads them). ``None``: bert-base-uncased, or
    when it cannot be had, the offline all-MiniLM-L6-v2 (found through ``$ATTNLAB_OFFLINE_MODEL`` or
    the Hub cache), with a ``FallbackWarning`` saying so: the CLI's lookup exactly.

    ``precision``: ``"fp32"`` (within 1e-5 of PyTorch) or ``"bf16"`` (linear weights in bfloat16).
    ``threads``: kernel threads (default ``$ATTNLAB_NUM_THREADS``, else every core).
    ``progress(file, done, total, finished)`` is called while files download (default: one
    line on stderr per file). Raises ``ModelNotFoundError`` when the model cannot be found or
    fetched, ``InputError`` for a broken model directory.
    """

    def __init__(self, model: Union[str, "os.PathLike[str]", None] = None, precision: str = "fp32",
                 threads: Optional[int] = None, *, tokenizer_only: bool = False,
                 progress: Optional[Callable[[str, int, int, bool], None]] = None) -> None:
        if model is None:
            name = ""
        elif isinstance(model, (str, os.PathLike)):
            name = os.fspath(model)
            if not isinstance(name, str):
                raise TypeError("model must be a str path or Hub id, got bytes")
            if name == "":
                raise ValueError("model is empty; pass None for the default model")
        else:
            raise TypeError(f"model must be a str, a path or None, got {type(model).__name__}")
        precision = _str_arg("precision", precision)
        if precision not in ("fp32", "bf16"):
            raise ValueError(f"precision must be 'fp32' or 'bf16', got {precision!r}")
        n_threads = 0
        if threads is not None:
            n_threads = _int_arg("threads", threads)
            if n_threads <= 0:
                raise ValueError(f"threads must be positive (or None for the default), got {n_threads}")
        tokenizer_only = _bool_arg("tokenizer_only", tokenizer_only)
        if progress is not None and not callable(progress):
            raise TypeError("progress must be callable or None")
        self._engine = _attnlab.Engine.open(name, precision, n_threads, tokenizer_only,
                                            progress if progress is not None else _StderrProgress())
        self.info: Dict[str, Any] = dict(self._engine.info)
        if self.info["notice"]:
            warnings.warn(self.info["notice"], FallbackWarning, stacklevel=2)

    @property
    def name(self) -> str:
        return self.info["name"]

    @property
    def num_layers(self) -> int:
        return self.info["num_layers"]

    @property
    def num_heads(self) -> int:
        return self.info["num_heads"]

    @property
    def head_stat_names(self) -> Tuple[str, ...]:
        """The keys of ``Output.head_stats()``: ``HEAD_STAT_NAMES`` for an encoder, ``bos``, ``eos``, ... for a
        causal decoder."""
        return self.info["head_stat_names"]

    def tokenize(self, text: str, pair: Optional[str] = None, *, truncation: bool = True,
                 max_length: Optional[int] = None) -> Encoding:
        """Tokenizes exactly as Hugging Face's ``BertTokenizerFast(text, pair)``, with special tokens.

        ``truncation=True`` cuts to ``max_length`` (default: the model's) as transformers'
        ``truncation=True`` does; ``False`` raises ``InputError`` for a longer input."""
        text = _str_arg("text", text)
        pair = _optional_str_arg("pair", pair)
        native = self._engine.encode(text, pair, _bool_arg("truncation", truncation), _max_length_arg(max_length))
        return Encoding(native, text, pair)

    def __call__(self, text: Union[str, Encoding, Sequence[int], np.ndarray], pair: Optional[str] = None, *,
                 output_attentions: bool = True, output_hidden_states: bool = False, output_qkv: bool = False,
                 truncation: bool = True, max_length: Optional[int] = None) -> Output:
        """Runs one input (a text, a text pair, an ``Encoding`` from ``tokenize``, or token ids: a list of ints
        or an int array, run exactly as transformers' ``input_ids``) and returns its ``Output``.

        The forward pass runs without the GIL."""
        attentions = _bool_arg("output_attentions", output_attentions)
        hidden = _bool_arg("output_hidden_states", output_hidden_states)
        qkv = _bool_arg("output_qkv", output_qkv)
        if isinstance(text, Encoding):
            if pair is not None:
                raise ValueError("pair cannot be given with an Encoding (tokenize the pair instead)")
            return self._run(text, attentions=attentions, hidden_states=hidden, qkv=qkv)
        if not isinstance(text, str):
            if pair is not None:
                raise ValueError("pair cannot be given with token ids")
            return self._run(self.encode_ids(text), attentions=attentions, hidden_states=hidden, qkv=qkv)
        text = _str_arg("text", text)
        pair = _optional_str_arg("pair", pair)
        native = self._engine.run_text(text, pair, _bool_arg("truncation", truncation), _max_length_arg(max_length),
                                       attentions, hidden, qkv)
        return Output(self, native, Encoding(native.encoding, text, pair))

    def encode_ids(self, ids: Any) -> Encoding:
        """An ``Encoding`` of exactly these token ids (a list of ints or an int array, as transformers'
        ``input_ids``), no tokenizer: a benchmark or a user feeds the same ids to attnlab and to another engine."""
        arr = np.asarray(ids)
        if arr.ndim != 1 or arr.size == 0 or not (np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool):
            raise TypeError(f"token ids must be a non-empty 1-D list or array of ints, got {type(ids).__name__} "
                            f"of shape {arr.shape} and dtype {arr.dtype}")
        if arr.min() < 0 or arr.max() > np.iinfo(np.int32).max:
            raise ValueError(f"token ids must be in [0, 2**31), got {arr.min()}..{arr.max()}")
        return Encoding(self._engine.encode_ids([int(i) for i in arr]), None, None)

    def _run(self, encoding: Encoding, *, attentions: bool, hidden_states: bool, qkv: bool) -> Output:
        native = self._engine.run(encoding._native, attentions, hidden_states, qkv)
        return Output(self, native, encoding)

    def batch(self, texts: Sequence[Union[str, Tuple[str, str], Encoding]], *, output_attentions: bool = True,
              output_hidden_states: bool = False, output_qkv: bool = False, truncation: bool = True,
              max_length: Optional[int] = None) -> List[Output]:
        """Runs many inputs in packed passes (no padding: each weight is read once per pass) of at most 32
        inputs and 4096 tokens (a longer input runs alone). Items are texts, ``(text, pair)`` tuples or
        Encodings; the outputs equal single calls', in order. An input the engine rejects raises its own error."""
        return self._batch(texts, _attnlab.batch_inputs, output_attentions=output_attentions,
                           output_hidden_states=output_hidden_states, output_qkv=output_qkv, truncation=truncation,
                           max_length=max_length)

    def _batch(self, texts: Sequence[Union[str, Tuple[str, str], Encoding]], max_inputs: int, *,
               output_attentions: bool = True, output_hidden_states: bool = False, output_qkv: bool = False,
               truncation: bool = True, max_length: Optional[int] = None) -> List[Output]:
        if isinstance(texts, (str, bytes)):
            raise TypeError("texts must be a sequence of texts, not one str")
        encodings = [self._encoding_of(item, truncation, max_length) for item in texts]
        natives = self._engine.run_batch([e._native for e in encodings], _bool_arg("output_attentions", output_attentions),
                                         _bool_arg("output_hidden_states", output_hidden_states),
                                         _bool_arg("output_qkv", output_qkv), max_inputs, _attnlab.batch_tokens)
        return [Output(self, n, e) for n, e in zip(natives, encodings)]

    def stream(self, texts: Iterable[Union[str, Tuple[str, str], Encoding]], batch_size: int = _attnlab.batch_inputs,
               **options: Any) -> Iterator[Output]:
        """``batch`` over an iterable of any length (a corpus, a file's lines), at most ``batch_size`` inputs
        (and 4096 tokens) per pass, yielding each input's ``Output`` in order; only one batch is held at a time."""
        size = _int_arg("batch_size", batch_size)
        if size <= 0:
            raise ValueError(f"batch_size must be positive, got {size}")
        if isinstance(texts, (str, bytes)):
            raise TypeError("texts must be an iterable of texts, not one str")
        chunk: list = []
        for item in texts:
            chunk.append(item)
            if len(chunk) == size:
                yield from self._batch(chunk, size, **options)
                chunk = []
        if chunk:
            yield from self._batch(chunk, size, **options)

    def _encoding_of(self, item: Any, truncation: bool, max_length: Optional[int]) -> Encoding:
        if isinstance(item, Encoding):
            return item
        if isinstance(item, tuple):
            if len(item) != 2:
                raise ValueError(f"a batch item tuple must be (text, pair), got {len(item)} items")
            return self.tokenize(item[0], item[1], truncation=truncation, max_length=max_length)
        return self.tokenize(item, truncation=truncation, max_length=max_length)

    def __repr__(self) -> str:
        i = self.info
        return (f"attnlab.Model({i['name']!r}: {i['num_layers']} layers, {i['num_heads']} heads, "
                f"hidden {i['hidden']}, {i['precision']})")


# ---- the notebook's toy layers


class Toy:
    """The course notebook's toy layers after ``torch.manual_seed(seed)`` (cells 1-2), bit-identical to
    PyTorch: ``input`` (4 tokens x 4 features), ``non_attention_output``, the attention layer's
    ``queries``, ``keys``, ``values``, ``scores`` (Q K^T / sqrt(4)), ``attention_weights`` (rows sum to 1)
    and ``attention_output``, each a float32 ``[4, 4]`` array; ``parameters`` maps
    ``'non_attention.linear'``, ``'query'``, ``'key'``, ``'value'`` to ``{'weight', 'bias'}``."""

    def __init__(self, seed: str) -> None:
        d = _attnlab.toy(seed)
        self.seed: str = d["seed"]
        self.input: np.ndarray = d["input"]
        self.non_attention_output: np.ndarray = d["non_attention_output"]
        self.attention_weights: np.ndarray = d["attention_weights"]
        self.attention_output: np.ndarray = d["attention_output"]
        self.queries: np.ndarray = d["queries"]
        self.keys: np.ndarray = d["keys"]
        self.values: np.ndarray = d["values"]
        self.scores: np.ndarray = d["scores"]
        self.parameters: Dict[str, Dict[str, np.ndarray]] = d["parameters"]

    def json(self, token: int = 0, delta: float = 1.0) -> str:
        """``attnlab toy --json``'s document: every tensor, the row sums and the context check (``delta``
        added to every feature of ``token``, 0-based)."""
        t = _int_arg("token", token)
        if not 0 <= t < 4:
            raise ValueError(f"token {t} is out of range [0, 3]")
        if isinstance(delta, bool) or not isinstance(delta, (int, float, np.floating)):
            raise TypeError(f"delta must be a float, got {type(delta).__name__}")
        return _attnlab.toy_json(self.seed, t, float(delta))

    def view(self) -> "Viewer":
        """The viewer's step-by-step toy walk-through (``attnlab view --toy``)."""
        return Viewer(*_attnlab.toy_viewer_html(self.seed))

    def _repr_html_(self) -> str:
        return self.view()._repr_html_()

    def __repr__(self) -> str:
        return f"attnlab.Toy(seed={self.seed})"


def toy(seed: int = 103) -> Toy:
    """The notebook's toy layers for ``torch.manual_seed(seed)``; any seed torch takes
    (``-2**63 <= seed < 2**64``)."""
    return Toy(str(_int_arg("seed", seed)))


# ---- inline display


class Viewer:
    """A self-contained viewer page (no network at all: script, style and data inline). In Jupyter
    (classic Notebook, JupyterLab, VS Code) it shows inline in a sandboxed iframe; ``save(path)``
    writes the page.

    ``page`` is the file ``attnlab view`` writes, byte for byte (``bytes``: windows-1252 text that
    carries its arrays' bytes raw, the smallest form). ``html`` is the same page as a ``str`` whose
    array bytes are base64, so it is all ASCII and survives any text channel (the inline iframe, a
    notebook file): it is what ``_repr_html_`` shows."""

    def __init__(self, page: bytes, html: str, height: int = 720) -> None:
        self.page = page
        self.html = html
        self.height = height

    def _repr_html_(self) -> str:
        # srcdoc: the page travels inside the output itself, so no server or file is needed, and the
        # sandbox keeps its script away from the notebook's own page.
        return (f'<iframe srcdoc="{_html.escape(self.html, quote=True)}" '
                f'sandbox="allow-scripts allow-downloads" style="width: 100%; height: {int(self.height)}px; '
                'border: 1px solid #ddd;"></iframe>')

    def save(self, path: Union[str, "os.PathLike[str]"]) -> None:
        with open(path, "wb") as f:
            f.write(self.page)

    def __repr__(self) -> str:
        return f"attnlab.Viewer({len(self.page)} bytes of HTML)"


class Image(bytes):
    """Image bytes (PNG, SVG or PDF, per ``format``) that Jupyter displays inline."""

    format: str

    def __new__(cls, data: bytes, format: str) -> "Image":
        self = super().__new__(cls, data)
        self.format = format
        return self

    def _repr_png_(self) -> Optional[bytes]:
        return bytes(self) if self.format == "png" else None

    def _repr_svg_(self) -> Optional[str]:
        return self.decode("utf-8") if self.format == "svg" else None

    def save(self, path: Union[str, "os.PathLike[str]"]) -> None:
        with open(path, "wb") as f:
            f.write(self)


def figure(out: Output, kind: str = "notebook", *, layer: int = 0, head: int = 0, query: int = 0, seed: int = 103,
           title: Optional[str] = None, format: str = "png", dpi: float = 100) -> Image:
    """The notebook's figures, drawn by the CLI's code (``attnlab demo``), as ``Image`` bytes.

    ``kind``: ``"notebook"`` (cell 3: the toy layers of ``seed`` and ``out``'s attention row side by
    side, 20 x 6 in), ``"custom"`` (cell 5: the row alone), ``"row"`` (one query row as bars) or
    ``"head"`` (one head's matrix as a heatmap). The row is ``out``'s ``(layer, head, query)``: by
    default layer 0, head 0, ``[CLS]``. ``format``: ``"png"``, ``"svg"`` or ``"pdf"``; ``dpi`` for PNG."""
    if not isinstance(out, Output):
        raise TypeError(f"out must be an attnlab.Output, got {type(out).__name__}")
    kind = _str_arg("kind", kind)
    if kind not in ("notebook", "custom", "row", "head"):
        raise ValueError(f"kind must be 'notebook', 'custom', 'row' or 'head', got {kind!r}")
    layer, head, query = out._checked(layer, head, query)
    seed_text = str(_int_arg("seed", seed))
    format = _str_arg("format", format)
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float, np.number)):
        raise TypeError(f"dpi must be a number, got {type(dpi).__name__}")
    if title is None:
        where = f"layer {layer}, head {head}"
        if kind in ("notebook", "custom"):
            title = _CLS_TITLE
        elif kind == "row":
            title = f"{out.tokens[query]} attention ({where})\n{out._model.name}"
        else:
            title = f"Attention weights ({where})\n{out._model.name}"
    title = _str_arg("title", title)
    data = out._native.figure(kind, layer, head, query, seed_text, title, format, float(dpi))
    return Image(data, format)
