// attnlab._attnlab: the native half of the Python package, a thin nanobind layer over include/attnlab/.
// python/attnlab/__init__.py is the documented surface; this module converts arguments and results and
// nothing more. Arrays are handed to numpy without a copy: each holds a shared_ptr to the block it views.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/function.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <array>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "attnlab/batching.h"
#include "attnlab/engine.h"
#include "attnlab/error.h"
#include "attnlab/figure.h"
#include "attnlab/analysis.h"
#include "attnlab/head_stats.h"
#include "attnlab/toy.h"
#include "attnlab/toy_checks.h"
#include "attnlab/version.h"
#include "attnlab/viewer.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace attnlab::python {
namespace {

using FloatArray = nb::ndarray<nb::numpy, const float, nb::c_contig, nb::ro>;
using DoubleArray = nb::ndarray<nb::numpy, double, nb::c_contig>;

// ---- Errors: one Python class per exit code (error.h), created here so the translator can raise them.

struct ErrorClasses {
  PyObject* base = nullptr;       // attnlab.Error
  PyObject* usage = nullptr;      // attnlab.UsageError (kExitUsage), also a ValueError
  PyObject* input = nullptr;      // attnlab.InputError (kExitInput), also a ValueError
  PyObject* file = nullptr;       // attnlab.FileError (kExitIo), also an OSError
  PyObject* network = nullptr;    // attnlab.NetworkError (kExitNetwork), also a ConnectionError
  PyObject* not_found = nullptr;  // attnlab.ModelNotFoundError: Model() could not find or fetch the model
};
ErrorClasses errors;

PyObject* error_class(int exit_code) {
  switch (exit_code) {
    case kExitUsage: return errors.usage;
    case kExitInput: return errors.input;
    case kExitIo: return errors.file;
    case kExitNetwork: return errors.network;
    default: return errors.base;
  }
}

// Raises `type(message)` with .exit_code set: the message is the library's, unchanged.
void raise_error(PyObject* type, const char* message, int exit_code) {
  PyObject* exc = PyObject_CallFunction(type, "s", message);
  if (!exc) return;  // the call's own exception stays set
  PyObject* code = PyLong_FromLong(exit_code);
  PyObject_SetAttrString(exc, "exit_code", code);
  Py_XDECREF(code);
  PyErr_SetObject(type, exc);
  Py_DECREF(exc);
}

PyObject* new_error_class(nb::module_& m, const char* name, const char* doc, std::vector<PyObject*> bases) {
  PyObject* tuple = PyTuple_New(static_cast<Py_ssize_t>(bases.size()));
  for (size_t i = 0; i < bases.size(); ++i) {
    Py_INCREF(bases[i]);
    PyTuple_SET_ITEM(tuple, static_cast<Py_ssize_t>(i), bases[i]);
  }
  const std::string qualified = std::string("attnlab.") + name;
  PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, tuple, nullptr);
  Py_DECREF(tuple);
  if (!cls) throw nb::python_error();
  m.attr(name) = nb::handle(cls);
  return cls;
}

void register_errors(nb::module_& m) {
  errors.base = new_error_class(m, "Error",
                                "Every error attnlab reports. .exit_code is the CLI's exit code for it (README, "
                                "'Exit codes'); str() is the CLI's message.",
                                {PyExc_Exception});
  errors.usage = new_error_class(m, "UsageError", "A bad argument value (the CLI's exit code 2).",
                                 {errors.base, PyExc_ValueError});
  errors.input = new_error_class(m, "InputError",
                                 "Bad input data: model files, config, vocabulary, checkpoint or text (exit code 3).",
                                 {errors.base, PyExc_ValueError});
  errors.file = new_error_class(m, "FileError", "A file or directory cannot be read or written (exit code 4).",
                                {errors.base, PyExc_OSError});
  errors.network = new_error_class(m, "NetworkError",
                                   "A download failed: the model is not cached and cannot be fetched (exit code 5).",
                                   {errors.base, PyExc_ConnectionError});
  errors.not_found = new_error_class(m, "ModelNotFoundError",
                                     "Model(name) found no such directory, and no Hub model of that name in the cache "
                                     "or online. .exit_code is 3 (not a directory nor a Hub id) or 5 (not "
                                     "downloadable).",
                                     {errors.base, PyExc_LookupError});
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const Error& e) {
      raise_error(error_class(e.exit_code()), e.what(), e.exit_code());
    }
  });
}

// ---- Arrays without a copy.

// A read-only numpy array over `data` that keeps `owner` alive as long as the array (or a view of it) lives.
template <size_t Rank>
FloatArray share(const float* data, const std::array<size_t, Rank>& shape, std::shared_ptr<const void> owner) {
  auto* holder = new std::shared_ptr<const void>(std::move(owner));
  nb::capsule capsule(holder, [](void* p) noexcept { delete static_cast<std::shared_ptr<const void>*>(p); });
  return FloatArray(data, Rank, shape.data(), capsule);
}

// A numpy array that owns a copy of `values` (small results: toy tensors, statistics).
FloatArray copy_floats(const std::vector<float>& values, std::vector<size_t> shape) {
  auto block = std::make_shared<const std::vector<float>>(values);
  auto* holder = new std::shared_ptr<const void>(block);
  nb::capsule capsule(holder, [](void* p) noexcept { delete static_cast<std::shared_ptr<const void>*>(p); });
  return FloatArray(block->data(), shape.size(), shape.data(), capsule);
}

FloatArray matrix_array(const Matrix& m) {
  return copy_floats(m.data, {static_cast<size_t>(m.rows), static_cast<size_t>(m.cols)});
}

// ---- Engine, encodings, results.

// One run's result, shared by every array taken from it.
struct RunResult {
  std::shared_ptr<const Result> result;
  const Result& get() const { return *result; }
};

std::optional<FloatArray> optional_array(const std::vector<float>& values, const ArrayView<4>& view,
                                         const std::shared_ptr<const Result>& owner) {
  if (values.empty()) return std::nullopt;
  return share(view.data, view.shape, owner);
}

Precision precision_from_name(const std::string& name) {
  if (name == "fp32") return Precision::kFloat32;
  if (name == "bf16") return Precision::kBFloat16;
  throw Error("precision '" + name + "': expected 'fp32' (exact) or 'bf16'", kExitUsage);
}

nb::dict info_dict(const ModelInfo& info) {
  nb::dict d;
  d["name"] = info.name;
  d["dir"] = info.dir.string();
  d["notice"] = info.notice;
  d["num_layers"] = info.num_layers;
  d["num_heads"] = info.num_heads;
  d["hidden"] = info.hidden;
  d["head_dim"] = info.head_dim;
  d["max_tokens"] = info.max_tokens;
  d["vocab_size"] = info.vocab_size;
  d["has_pooler"] = info.has_pooler;
  d["family"] = info.family;
  d["model_type"] = info.model_type;
  d["num_kv_heads"] = info.num_kv_heads;
  d["causal"] = info.causal;
  nb::list stat_names;  // Output.head_stats()'s keys: a decoder's bos, eos, ... (head_stat_names)
  for (std::string_view name : head_stat_names(info.causal)) stat_names.append(nb::str(name.data(), name.size()));
  d["head_stat_names"] = nb::tuple(stat_names);
  d["has_lm_head"] = info.has_lm_head;
  d["precision"] = info.precision == Precision::kFloat32 ? "fp32" : "bf16";
  return d;
}

using ProgressCallback = std::function<void(const std::string&, uint64_t, uint64_t, bool)>;

Engine open_engine(const std::string& model, const std::string& precision, int threads, bool tokenizer_only,
                   ProgressCallback progress) {
  EngineOptions options;
  options.precision = precision_from_name(precision);
  if (threads < 0) throw Error("threads must be 0 (default) or positive, got " + std::to_string(threads), kExitUsage);
  options.threads = threads;
  options.tokenizer_only = tokenizer_only;
  if (progress) {
    // Downloads report from the opening thread, which runs without the GIL: take it for the callback.
    // A callback that raises is reported as unraisable; the download goes on.
    options.on_download_progress = [progress](const DownloadProgress& p) {
      nb::gil_scoped_acquire gil;
      try {
        progress(p.file, p.done, p.total, p.finished);
      } catch (nb::python_error& e) {
        e.discard_as_unraisable("attnlab download progress callback");
      }
    };
  }
  try {
    nb::gil_scoped_release release;
    return Engine::open(model, options);
  } catch (const Error& e) {
    // Not found: neither a directory nor a Hub id (input), or a Hub model that cannot be fetched.
    std::error_code ec;
    const bool missing_path = !std::filesystem::exists(model, ec);
    if (!model.empty() && (e.exit_code() == kExitNetwork || (e.exit_code() == kExitInput && missing_path))) {
      raise_error(errors.not_found, e.what(), e.exit_code());
      throw nb::python_error();
    }
    throw;
  }
}

TruncationOptions truncation(bool truncate, int max_length) {
  if (max_length < 0) throw Error("max_length must be 0 (the model's) or positive", kExitUsage);
  TruncationOptions t;
  t.truncate = truncate;
  t.max_length = max_length;
  return t;
}

// Exactly these ids (transformers' input_ids), no tokenizer.
Encoding encode_ids(const Engine& engine, const std::vector<int>& ids) { return engine.encode_ids(ids); }

// [(id, token, prob)] of the k most probable next tokens.
std::vector<std::tuple<int, std::string, float>> top_next_tokens(const Engine& engine, const RunResult& r, int k) {
  std::vector<std::tuple<int, std::string, float>> out;
  for (const Engine::NextToken& t : engine.top_next_tokens(r.get(), k)) out.emplace_back(t.id, t.token, t.prob);
  return out;
}

std::vector<std::optional<std::string>> special_roles(const Encoding& e) {
  std::vector<std::optional<std::string>> out;
  for (size_t i = 0; i < e.size(); ++i)
    out.push_back(e.is_special(i) ? std::optional<std::string>(std::string(role_name(e.role(i)))) : std::nullopt);
  return out;
}

Encoding encode(const Engine& engine, const std::string& text, const std::optional<std::string>& pair, bool truncate,
                int max_length) {
  const TruncationOptions t = truncation(truncate, max_length);
  nb::gil_scoped_release release;
  return engine.encode(text, pair ? std::optional<std::string_view>(*pair) : std::nullopt, t);
}

RunOptions run_options(bool attentions, bool hidden_states, bool qkv) {
  RunOptions o;
  o.attentions = attentions;
  o.hidden_states = hidden_states;
  o.qkv = qkv;
  return o;
}

RunResult run(const Engine& engine, const Encoding& input, bool attentions, bool hidden_states, bool qkv) {
  const RunOptions options = run_options(attentions, hidden_states, qkv);
  nb::gil_scoped_release release;
  return {std::make_shared<const Result>(engine.run(input, options))};
}

// encode() and run() in one call without the GIL: the common m(text) path.
RunResult run_text(const Engine& engine, const std::string& text, const std::optional<std::string>& pair,
                   bool truncate, int max_length, bool attentions, bool hidden_states, bool qkv) {
  const TruncationOptions t = truncation(truncate, max_length);
  const RunOptions options = run_options(attentions, hidden_states, qkv);
  nb::gil_scoped_release release;
  const Encoding input = engine.encode(text, pair ? std::optional<std::string_view>(*pair) : std::nullopt, t);
  return {std::make_shared<const Result>(engine.run(input, options))};
}

// Passes of at most max_inputs inputs and max_tokens tokens (batching.h); an input the engine rejects
// raises its own error (the first in order), whatever else shared its pass.
std::vector<RunResult> run_batch(const Engine& engine, const std::vector<Encoding>& inputs, bool attentions,
                                 bool hidden_states, bool qkv, size_t max_inputs, size_t max_tokens) {
  const RunOptions options = run_options(attentions, hidden_states, qkv);
  std::vector<BatchOutcome> outcomes;
  {
    nb::gil_scoped_release release;
    outcomes = run_batches(engine, inputs, options, {max_inputs, max_tokens});
  }
  std::vector<RunResult> out;
  out.reserve(outcomes.size());
  for (BatchOutcome& o : outcomes) {
    if (!o.ok()) std::rethrow_exception(o.error);
    out.push_back({std::make_shared<const Result>(std::move(o.result))});
  }
  return out;
}

void check_index(const char* what, int value, int count) {
  if (value < 0 || value >= count)
    throw nb::value_error((std::string(what) + " " + std::to_string(value) + " is out of range [0, " +
                           std::to_string(count - 1) + "]")
                              .c_str());
}

void check_attention_indices(const Result& r, int layer, int head, int query) {
  if (r.attentions.empty()) throw nb::value_error("this result was run without attentions");
  check_index("layer", layer, r.attentions.layers());
  check_index("head", head, r.attentions.heads());
  check_index("query", query, r.attentions.seq_len());
}

// Figures: "notebook" (cell 3's three panels: toy layers of `seed` and the row), "custom" (cell 5's
// bar chart), "row" (one query row as bars), "head" (one head's matrix as a heatmap).
nb::bytes figure(const RunResult& rr, const std::string& kind, int layer, int head, int query,
                 const std::string& seed_text, const std::string& title, const std::string& format, double dpi) {
  const Result& r = rr.get();
  check_attention_indices(r, layer, head, query);
  const ImageFormat fmt = image_format_from_name(format);
  std::string bytes;
  {
    nb::gil_scoped_release release;
    Figure fig;
    if (kind == "notebook") {
      fig = notebook_figure(toy::run(toy::parse_seed(seed_text)), attention_row_panel(r, layer, head, query, title));
    } else if (kind == "custom") {
      fig = notebook_custom_figure(attention_row_panel(r, layer, head, query, title));
    } else if (kind == "row") {
      fig = bar_chart_figure(attention_row_panel(r, layer, head, query, title));
    } else if (kind == "head") {
      fig = heatmap_figure(attention_head_panel(r, layer, head, title));
    } else {
      throw Error("figure kind '" + kind + "': expected 'notebook', 'custom', 'row' or 'head'", kExitUsage);
    }
    bytes = figure_bytes(fig, fmt, dpi);
  }
  return nb::bytes(bytes.data(), bytes.size());
}

// An attribution's scores as a numpy array that owns them, shaped as the method gives them.
FloatArray scores_array(Attribution a) {
  auto* scores = new std::vector<float>(std::move(a.scores));
  nb::capsule owner(scores, [](void* p) noexcept { delete static_cast<std::vector<float>*>(p); });
  return FloatArray(scores->data(), a.shape.size(), a.shape.data(), owner);
}

// One attribution method (analysis.h) on an encoding: its float32 scores, shaped as the method gives them.
FloatArray analyze_array(const Engine& engine, const Encoding& encoding, const std::string& method, bool force) {
  Attribution a;
  {
    nb::gil_scoped_release release;
    AnalysisOptions options;
    options.force = force;
    a = analyze(engine, encoding, parse_method(method), options);
  }
  return scores_array(std::move(a));
}

// rollout, rollout-noresidual or flow on the attention a run kept: no second forward pass.
FloatArray attention_attribution_array(const RunResult& rr, const std::string& method, bool force) {
  Attribution a;
  {
    nb::gil_scoped_release release;
    AnalysisOptions options;
    options.force = force;
    a = attention_attribution(rr.get().attentions, parse_method(method), options);
  }
  return scores_array(std::move(a));
}

// Clark et al.'s statistics of every head: [layers, heads, 7] in kHeadStatNames order (named by the
// model's info["head_stat_names"]).
DoubleArray head_stats_array(const RunResult& rr) {
  const Result& r = rr.get();
  const std::vector<HeadStats> stats = head_stats(r);
  auto* values = new std::vector<double>();
  values->reserve(stats.size() * kNumHeadStats);
  for (const HeadStats& s : stats)
    for (int k = 0; k < kNumHeadStats; ++k) values->push_back(head_stat(s, k));
  nb::capsule owner(values, [](void* p) noexcept { delete static_cast<std::vector<double>*>(p); });
  const size_t shape[3] = {size_t(r.num_layers), size_t(r.num_heads), size_t(kNumHeadStats)};
  return DoubleArray(values->data(), 3, shape, owner);
}

// causal: the model is a decoder, whose labels say bos / eos (head_stat_names).
std::vector<std::vector<std::string>> head_labels_list(const RunResult& rr, bool causal) {
  std::vector<std::vector<std::string>> out;
  for (const HeadStats& s : head_stats(rr.get())) {
    std::vector<std::string> labels;
    for (std::string_view l : head_labels(s, head_stat_names(causal))) labels.emplace_back(l);
    out.push_back(std::move(labels));
  }
  return out;
}

// A viewer page in its two forms (attnlab/viewer.h): the file `attnlab view` writes (bytes: the byte
// block raw) and the same page as ASCII text (str: the byte block base64) for text channels.
nb::tuple viewer_pages(const ViewerData& data, const std::string& title) {
  std::string file, text;
  {
    nb::gil_scoped_release release;
    file = viewer_page(data, title);
    text = viewer_page(data, title, {.bytes = ViewerBytes::kBase64});
  }
  return nb::make_tuple(nb::bytes(file.data(), file.size()), nb::str(text.data(), text.size()));
}

// The viewer page of one input, or two side by side; each result must hold attentions and q/k.
nb::tuple viewer_html(const Engine& engine, const std::vector<std::string>& texts,
                      const std::vector<std::optional<std::string>>& pairs, const std::vector<RunResult>& results,
                      const std::string& precision, const std::vector<int>& layers, bool compress) {
  if (texts.size() != results.size() || pairs.size() != results.size())
    throw nb::value_error("viewer_html: texts, pairs and results differ in length");
  ViewerOptions options;
  if (precision != "f32" && precision != "f16")
    throw Error("precision '" + precision + "': expected 'f32' (exact) or 'f16' (half the size)", kExitUsage);
  options.precision = precision == "f16" ? ViewerPrecision::kFloat16 : ViewerPrecision::kFloat32;
  options.layers = layers;
  options.compress = compress;
  std::vector<ViewerInput> inputs;
  for (size_t i = 0; i < results.size(); ++i) inputs.push_back({texts[i], pairs[i], results[i].result.get()});
  ViewerData data;
  {
    nb::gil_scoped_release release;
    data = viewer_data(engine.info(), inputs, options);
  }
  return viewer_pages(data, "attnlab: " + engine.info().name + " attention");
}

// ---- The notebook's toy layers.

nb::dict toy_dict(const std::string& seed_text) {
  std::string canonical;
  const uint64_t seed = toy::parse_seed(seed_text, &canonical);
  const toy::Run r = toy::run(seed);
  nb::dict d;
  d["seed"] = canonical;
  d["input"] = matrix_array(r.input);
  d["non_attention_output"] = matrix_array(r.non_attention);
  d["attention_weights"] = matrix_array(r.attention.weights);
  d["attention_output"] = matrix_array(r.attention.output);
  d["queries"] = matrix_array(r.attention.queries);
  d["keys"] = matrix_array(r.attention.keys);
  d["values"] = matrix_array(r.attention.values);
  d["scores"] = matrix_array(r.attention.scores);
  nb::dict params;
  const std::pair<const char*, const Linear*> layers[] = {{"non_attention.linear", &r.parameters.non_attention},
                                                          {"query", &r.parameters.query},
                                                          {"key", &r.parameters.key},
                                                          {"value", &r.parameters.value}};
  for (const auto& [name, lin] : layers) {
    nb::dict p;
    p["weight"] = matrix_array(lin->weight);
    p["bias"] = copy_floats(lin->bias, {lin->bias.size()});
    params[name] = p;
  }
  d["parameters"] = params;
  return d;
}

std::string toy_json_text(const std::string& seed_text, int token, float delta) {
  std::string canonical;
  const toy::Run r = toy::run(toy::parse_seed(seed_text, &canonical));
  check_index("token", token, r.input.rows);
  return toy_json(r, run_context_test(r.parameters, r.input, token, delta), canonical, delta);
}

nb::tuple toy_viewer_html(const std::string& seed_text) {
  std::string canonical;
  const toy::Run r = toy::run(toy::parse_seed(seed_text, &canonical));
  // As `attnlab view --toy`: the context check changes token 0 by +1.
  const ViewerData data = toy_viewer_data(toy_json(r, run_context_test(r.parameters, r.input, 0, 1.0f), canonical, 1.0f));
  return viewer_pages(data, "attnlab: toy attention, seed " + canonical);
}

}  // namespace
}  // namespace attnlab::python

NB_MODULE(_attnlab, m) {
  using namespace attnlab;
  using namespace attnlab::python;
  m.doc() = "attnlab's native engine module; use the attnlab package, not this module directly.";
  register_errors(m);
  m.attr("__version__") = ATTNLAB_VERSION;
  m.attr("batch_inputs") = kDefaultBatchInputs;  // batching.h's defaults, for Model.stream
  m.attr("batch_tokens") = kDefaultBatchTokens;
  m.def("isa", &isa_name, "The instruction set the kernels run on: 'scalar', 'avx2' or 'avx512'.");
  m.def("set_default_threads", &set_default_threads, "threads"_a);

  nb::class_<Encoding>(m, "Encoding")
      .def_ro("tokens", &Encoding::tokens)
      .def_ro("input_ids", &Encoding::input_ids)
      .def_ro("token_type_ids", &Encoding::token_type_ids)
      .def_ro("word_ids", &Encoding::word_ids)
      .def_ro("truncated", &Encoding::truncated)
      .def_prop_ro("special", &special_roles)
      .def("__len__", &Encoding::size);

  // Array properties return with rv_policy::automatic: each array carries its own owner (a capsule), so
  // numpy wraps the memory as it is (move or copy would copy it; reference_internal would tie it to the
  // RunResult object).
  nb::class_<RunResult>(m, "RunResult")
      .def_prop_ro("encoding", [](const RunResult& r) { return r.get().encoding; }, nb::rv_policy::automatic)
      .def_prop_ro("attentions",
                   [](const RunResult& r) -> std::optional<FloatArray> {
                     const AttentionTensor& a = r.get().attentions;
                     if (a.empty()) return std::nullopt;
                     return share(a.view().data, a.view().shape, a.shared_data());
                   }, nb::rv_policy::automatic)
      .def_prop_ro("last_hidden_state",
                   [](const RunResult& r) { return share(r.get().last_hidden_view().data, r.get().last_hidden_view().shape, r.result); }, nb::rv_policy::automatic)
      .def_prop_ro("pooler_output",
                   [](const RunResult& r) -> std::optional<FloatArray> {
                     const auto& p = r.get().pooler_output;
                     if (p.empty()) return std::nullopt;
                     return share(p.data(), std::array<size_t, 1>{p.size()}, r.result);
                   }, nb::rv_policy::automatic)
      .def_prop_ro("hidden_states",
                   [](const RunResult& r) -> std::optional<FloatArray> {
                     if (r.get().hidden_states.empty()) return std::nullopt;
                     return share(r.get().hidden_states_view().data, r.get().hidden_states_view().shape, r.result);
                   }, nb::rv_policy::automatic)
      .def_prop_ro("logits",
                   [](const RunResult& r) -> std::optional<FloatArray> {
                     const Result& x = r.get();
                     if (x.logits.empty()) return std::nullopt;
                     const std::span<const float> last = x.last_logits();
                     return share(last.data(), std::array<size_t, 1>{last.size()}, r.result);
                   }, nb::rv_policy::automatic)
      .def_prop_ro("query", [](const RunResult& r) { return optional_array(r.get().query, r.get().query_view(), r.result); }, nb::rv_policy::automatic)
      .def_prop_ro("key", [](const RunResult& r) { return optional_array(r.get().key, r.get().key_view(), r.result); }, nb::rv_policy::automatic)
      .def_prop_ro("value", [](const RunResult& r) { return optional_array(r.get().value, r.get().value_view(), r.result); }, nb::rv_policy::automatic)
      .def("figure", &figure, "kind"_a, "layer"_a, "head"_a, "query"_a, "seed"_a, "title"_a, "format"_a, "dpi"_a)
      .def("attention_attribution", &attention_attribution_array, "method"_a, "force"_a)
      .def("head_stats", &head_stats_array)
      .def("head_labels", &head_labels_list, "causal"_a);

  nb::class_<Engine>(m, "Engine")
      .def_static("open", &open_engine, "model"_a, "precision"_a, "threads"_a, "tokenizer_only"_a,
                  "progress"_a.none())
      .def_prop_ro("info", [](const Engine& e) { return info_dict(e.info()); })
      .def("encode", &encode, "text"_a, "pair"_a.none(), "truncate"_a, "max_length"_a)
      .def("encode_ids", &encode_ids, "ids"_a)
      .def("top_next_tokens", &top_next_tokens, "result"_a, "k"_a)
      .def("run", &run, "encoding"_a, "attentions"_a, "hidden_states"_a, "qkv"_a)
      .def("run_text", &run_text, "text"_a, "pair"_a.none(), "truncate"_a, "max_length"_a, "attentions"_a,
           "hidden_states"_a, "qkv"_a)
      .def("run_batch", &run_batch, "encodings"_a, "attentions"_a, "hidden_states"_a, "qkv"_a,
           "max_inputs"_a = kDefaultBatchInputs, "max_tokens"_a = kDefaultBatchTokens)
      .def("analyze", &analyze_array, "encoding"_a, "method"_a, "force"_a)
      .def("viewer_html", &viewer_html, "texts"_a, "pairs"_a, "results"_a, "precision"_a, "layers"_a, "compress"_a);

  m.def("toy", &toy_dict, "seed"_a);
  m.def("toy_json", &toy_json_text, "seed"_a, "token"_a, "delta"_a);
  m.def("toy_viewer_html", &toy_viewer_html, "seed"_a);
  nb::list stat_names;
  for (std::string_view name : kHeadStatNames) stat_names.append(nb::str(name.data(), name.size()));
  m.attr("head_stat_names") = nb::tuple(stat_names);
}
