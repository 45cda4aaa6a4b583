// The viewer page (attnlab/viewer.h): the data object of web/README.md, and the page around it.
#include "attnlab/viewer.h"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "attnlab/error.h"
#include "attnlab/json_writer.h"
#include "attnlab/result_json.h"
#include "attnlab/version.h"
#include "core/utf8.h"
#include "render/canvas.h"
#include "render/web_assets.h"

namespace attnlab {
namespace {

// IEEE binary16 nearest to f, ties to even, as numpy's astype(float16) and the F16C instructions round.
uint16_t to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, sizeof x);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds past 65504: infinity
  if (abs < 0x38800000u) {
    // Subnormal half (or zero): the value in units of 2^-24, rounded to nearest even.
    if (abs < 0x33000000u) return sign;  // below half of the smallest subnormal
    const uint32_t mantissa = (abs & 0x7fffffu) | 0x800000u;
    const int shift = 126 - static_cast<int>(abs >> 23);  // 14..24
    const uint32_t kept = mantissa >> shift;
    const uint32_t rest = mantissa & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    const uint32_t rounded = kept + (rest > half || (rest == half && (kept & 1u)));
    return static_cast<uint16_t>(sign | rounded);
  }
  // Normal: rebias the exponent, round the 13 dropped mantissa bits to nearest even (a carry
  // correctly bumps the exponent).
  const uint32_t rebased = abs - (112u << 23);
  const uint32_t rounded = rebased + 0xfffu + ((rebased >> 13) & 1u);
  return static_cast<uint16_t>(sign | (rounded >> 13));
}

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  const auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (const size_t left = bytes.size() - i; left > 0) {
    const uint32_t v = byte(i) << 16 | (left == 2 ? byte(i + 1) << 8 : 0);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += left == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Byte b of element i goes to b * count + i, then one raw deflate stream (RFC 1951).
std::string shuffle_deflate(std::string_view bytes, size_t element_size) {
  const size_t count = bytes.size() / element_size;
  std::string shuffled(bytes.size(), '\0');
  for (size_t i = 0; i < count; ++i)
    for (size_t b = 0; b < element_size; ++b) shuffled[b * count + i] = bytes[i * element_size + b];
  z_stream z{};
  // Z_RLE (Huffman codes plus runs of one repeated byte; the level does not matter): the low mantissa
  // planes are noise and the exponent planes have few long repeats, so a full match search finds
  // little more and costs several times the time (web/README.md has the sizes).
  if (deflateInit2(&z, 1, Z_DEFLATED, -15, 8, Z_RLE) != Z_OK) throw std::bad_alloc();
  std::string out(deflateBound(&z, static_cast<uLong>(shuffled.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(shuffled.data());
  z.avail_in = static_cast<uInt>(shuffled.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw Error("viewer: deflate failed (zlib error " + std::to_string(rc) + ")");
  return out;
}

// The array's bytes: little-endian float32, or float16 rounded from it.
std::string array_bytes(std::span<const float> values, ViewerPrecision precision) {
  if (precision == ViewerPrecision::kFloat16) {
    std::string bytes(values.size() * sizeof(uint16_t), '\0');
    for (size_t i = 0; i < values.size(); ++i) {
      const uint16_t h = to_half(values[i]);
      bytes[2 * i] = static_cast<char>(h & 0xff);
      bytes[2 * i + 1] = static_cast<char>(h >> 8);
    }
    return bytes;
  }
  // Little-endian float32: the in-memory layout on every machine attnlab builds for.
  return {reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)};
}

// Writes one array (web/README.md: ARRAY) as the value of `name`: its bytes appended to `block` (the
// page's byte block) and their place written, or, with no block, inline as base64.
void write_array(JsonWriter& w, std::string_view name, std::span<const float> values, std::span<const int> shape,
                 const ViewerOptions& o, std::string* block) {
  const bool f16 = o.precision == ViewerPrecision::kFloat16;
  std::string bytes = array_bytes(values, o.precision);
  if (o.compress) bytes = shuffle_deflate(bytes, f16 ? sizeof(uint16_t) : sizeof(float));
  w.key(name).begin_object();
  w.key("dtype").value(f16 ? "f16" : "f32");
  w.key("shape").begin_array();
  for (int d : shape) w.value(d);
  w.end_array();
  const std::string_view encoding = o.compress ? "shuffle-deflate-" : "";
  if (block != nullptr) {
    w.key("encoding").value(std::string(encoding) + "block");
    w.key("offset").value(static_cast<long long>(block->size())).key("size").value(static_cast<long long>(bytes.size()));
    block->append(bytes);
  } else {
    w.key("encoding").value(std::string(encoding) + "base64");
    w.key("data").value(base64(bytes));
  }
  w.end_object();
}

void begin_data(JsonWriter& w, std::string_view kind) {
  w.begin_object();
  w.key("format").value("attnlab-view/1");
  w.key("generator").value(std::string("attnlab ") + ATTNLAB_VERSION);
  w.key("kind").value(kind);
}

void write_input(JsonWriter& w, const ViewerInput& in, const std::vector<int>& layers, const ViewerOptions& o,
                 std::string* block) {
  const Result& r = *in.result;
  const Encoding& enc = r.encoding;
  const int n = r.seq_len(), heads = r.num_heads, dh = r.head_dim, stored = static_cast<int>(layers.size());
  w.begin_object();
  w.key("text").value(in.text);
  w.key("pair");
  if (in.pair) w.value(*in.pair);
  else w.null();
  write_encoding_json(w, enc);
  const auto array = [&](std::string_view name, const ArrayView<4>& all, int last_dim) {
    const int shape[] = {stored, heads, n, last_dim};
    write_array(w, name, select_heads(all, layers), shape, o, block);
  };
  array("attentions", r.attentions.view(), n);
  array("queries", r.query_view(), dh);
  // Grouped key/value heads (GQA): each query head's keys are its group's, as transformers' repeat_kv.
  std::vector<float> keys;
  ArrayView<4> key_view = r.key_view();
  if (r.num_kv_heads != heads && !r.key.empty()) {
    const size_t per_head = static_cast<size_t>(n) * dh, group = static_cast<size_t>(heads / r.num_kv_heads);
    keys.resize(static_cast<size_t>(r.num_layers) * heads * per_head);
    for (size_t l = 0; l < static_cast<size_t>(r.num_layers); ++l)
      for (size_t h = 0; h < static_cast<size_t>(heads); ++h)
        std::copy_n(r.key.data() + (l * r.num_kv_heads + h / group) * per_head, per_head,
                    keys.data() + (l * heads + h) * per_head);
    key_view = {keys.data(), {size_t(r.num_layers), size_t(heads), size_t(n), size_t(dh)}};
  }
  array("keys", key_view, dh);
  w.end_object();
}

// The data object of a model page, its arrays into `block` (or inline when it is null).
std::string model_data_json(const ModelInfo& model, std::span<const ViewerInput> inputs, const ViewerOptions& options,
                            std::string* block) {
  if (inputs.empty()) throw Error("viewer: no input to show", kExitUsage);
  std::vector<int> layers = options.layers;
  if (layers.empty())
    for (int l = 0; l < model.num_layers; ++l) layers.push_back(l);
  for (size_t i = 0; i < layers.size(); ++i)
    if (layers[i] < 0 || layers[i] >= model.num_layers || (i > 0 && layers[i] <= layers[i - 1]))
      throw Error("viewer: layers must be ascending model layers 0-" + std::to_string(model.num_layers - 1), kExitUsage);
  for (const ViewerInput& in : inputs) {
    const Result* r = in.result;
    if (r == nullptr || r->attentions.empty() || r->query.empty() || r->key.empty())
      throw Error("viewer: each input needs a run with attentions and q/k vectors (RunOptions attentions + qkv)",
                  kExitUsage);
    if (r->num_layers != model.num_layers || r->num_heads != model.num_heads)
      throw Error("viewer: an input was run on a different model than " + model.name, kExitUsage);
  }
  JsonWriter w(JsonOptions{9});
  begin_data(w, "model");
  w.key("model").begin_object();
  w.key("name").value(model.name).key("num_layers").value(model.num_layers).key("num_heads").value(model.num_heads);
  w.key("head_dim").value(model.head_dim).key("hidden").value(model.hidden);
  w.end_object();
  w.key("layers").ints(layers);
  w.key("inputs").begin_array();
  for (const ViewerInput& in : inputs) write_input(w, in, layers, options, block);
  w.end_array();
  if (block != nullptr) w.key("bytes").value(static_cast<long long>(block->size()));
  w.end_object();
  return w.str();
}

// JSON inside <script type="application/json">: a '<' only occurs within strings, where \u003c means
// the same character and can never start "</script>" or "<!--".
std::string script_safe(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (char c : json) {
    if (c == '<') out += "\\u003c";
    else out += c;
  }
  return out;
}

// The page is windows-1252, so its text must be ASCII: every other character of the data (JSON) and
// the script (JS) becomes a \u escape, which both read as that character inside strings, the only
// place outside comments where they hold one.
std::string ascii_script(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  const auto escape = [&](unsigned unit) {  // unit < 0x10000
    static constexpr char kHex[] = "0123456789abcdef";
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(unit >> shift) & 0xf];
  };
  for (size_t i = 0; i < utf8.size();) {
    const Utf8Step step = decode_utf8_at(utf8, i);
    i += step.length;
    if (step.code_point < 0x80) {
      out += static_cast<char>(step.code_point);
    } else if (step.code_point < 0x10000) {
      escape(step.code_point);
    } else {  // a UTF-16 surrogate pair, as JS strings hold it
      escape(0xd800 + ((step.code_point - 0x10000) >> 10));
      escape(0xdc00 + ((step.code_point - 0x10000) & 0x3ff));
    }
  }
  return out;
}

// Text of an HTML element (the title), escaped, with every non-ASCII character as a character reference.
std::string ascii_html_text(std::string_view utf8) {
  std::string out;
  for (size_t i = 0; i < utf8.size();) {
    const Utf8Step step = decode_utf8_at(utf8, i);
    if (step.code_point < 0x80) {
      out += xml_escape(utf8.substr(i, 1));
    } else {
      char buf[16];
      std::snprintf(buf, sizeof buf, "&#x%x;", static_cast<unsigned>(step.code_point));
      out += buf;
    }
    i += step.length;
  }
  return out;
}

// The byte block as the page carries it (web/README.md): pieces of kPieceBytes bytes (the last one
// shorter), each in its own <script type="application/octet-stream" data-encoding="raw|base64"> element,
// where the HTML parser leaves text as it is. Pieces, because browsers parse one long text node more
// slowly, and the page then decodes piece by piece, never holding the block as one string. Raw, each
// byte is one windows-1252 character, but for the three bytes the parser would change inside a script
// element: NUL (to U+FFFD), CR (to LF) and '<' (which may start "</script"). So '<' is the escape: "<0"
// stands for NUL, "<1" for CR, "<2" for '<'. Base64, each piece on its own.
constexpr size_t kPieceBytes = 65536;

std::string block_pieces(std::string_view bytes, ViewerBytes carry) {
  const std::string open = std::string("<script type=\"application/octet-stream\" data-encoding=\"") +
                           (carry == ViewerBytes::kRaw ? "raw" : "base64") + "\">";
  constexpr std::string_view kClose = "</script>";
  std::string out;
  const size_t pieces = (bytes.size() + kPieceBytes - 1) / kPieceBytes;
  // Raw: about 3 escapes per 256 bytes; base64: 4 characters per 3 bytes.
  const size_t text = carry == ViewerBytes::kRaw ? bytes.size() + bytes.size() / 64 : (bytes.size() + 2 * pieces) / 3 * 4;
  out.reserve(text + pieces * (open.size() + kClose.size()));
  for (size_t at = 0; at < bytes.size(); at += kPieceBytes) {
    const std::string_view piece = bytes.substr(at, kPieceBytes);
    out += open;
    if (carry == ViewerBytes::kBase64) {
      out += base64(piece);
    } else {
      for (char c : piece) {
        if (c == '\0') out += "<0";
        else if (c == '\r') out += "<1";
        else if (c == '<') out += "<2";
        else out += c;
      }
    }
    out += kClose;
  }
  return out;
}

}  // namespace

std::vector<int> parse_layer_list(std::string_view text, int num_layers) {
  const auto fail = [&](const std::string& why) -> std::vector<int> {
    throw Error("--layers '" + std::string(text) + "': " + why + " (expected layer numbers 0-" +
                    std::to_string(num_layers - 1) + ", as '3', '0-5' or '0,2,7-11')",
                kExitUsage);
  };
  const auto number = [&](std::string_view s) {
    int v = -1;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
      std::string why(1, '\'');
      why.append(s).append("' is not a layer number");
      fail(why);
    }
    if (v >= num_layers) fail("layer " + std::to_string(v) + " is out of range: the model has " + std::to_string(num_layers) + " layers");
    return v;
  };
  std::vector<int> layers;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view part = text.substr(start, comma - start);
    const size_t dash = part.find('-');
    if (dash == std::string_view::npos) {
      layers.push_back(number(part));
    } else {
      const int first = number(part.substr(0, dash)), last = number(part.substr(dash + 1));
      if (first > last) fail("range " + std::string(part) + " runs backwards");
      for (int l = first; l <= last; ++l) layers.push_back(l);
    }
    start = comma + 1;
  }
  std::sort(layers.begin(), layers.end());
  layers.erase(std::unique(layers.begin(), layers.end()), layers.end());
  return layers;
}

ViewerData viewer_data(const ModelInfo& model, std::span<const ViewerInput> inputs, const ViewerOptions& options) {
  ViewerData data;
  data.json = model_data_json(model, inputs, options, &data.bytes);
  return data;
}

std::string viewer_data_json(const ModelInfo& model, std::span<const ViewerInput> inputs, const ViewerOptions& options) {
  return model_data_json(model, inputs, options, nullptr);
}

void write_viewer_array(JsonWriter& w, std::string_view name, std::span<const float> values,
                        std::span<const int> shape, const ViewerOptions& options) {
  write_array(w, name, values, shape, options, nullptr);
}

ViewerData toy_viewer_data(std::string_view toy_json) {
  JsonWriter w;
  begin_data(w, "toy");
  w.key("toy").raw(toy_json.substr(0, toy_json.find_last_not_of(" \n") + 1));
  w.end_object();
  return {w.str(), {}};
}

std::string viewer_page(const ViewerData& data, std::string_view title, const ViewerPageOptions& options) {
  std::string tpl(web::viewer_template());
  if (options.same_origin_api) {
    constexpr std::string_view kNone = "default-src 'none';";
    const size_t at = tpl.find(kNone);
    if (at == std::string::npos) throw Error("viewer: the page template's CSP lacks " + std::string(kNone));
    tpl.insert(at + kNone.size(), " connect-src 'self';");
  }
  const std::pair<std::string_view, std::string> parts[] = {
      {"/*@ATTNLAB_CSS@*/", std::string(web::viewer_css())},
      {"/*@ATTNLAB_JS@*/", ascii_script(web::viewer_js())},
      {"@ATTNLAB_DATA@", ascii_script(script_safe(data.json))},
      {"@ATTNLAB_BYTES@", block_pieces(data.bytes, options.bytes)},
      {"@ATTNLAB_TITLE@", ascii_html_text(title)},
  };
  // Markers are found in the template only, never in what replaces them.
  std::vector<std::pair<size_t, const std::pair<std::string_view, std::string>*>> at;
  for (const auto& p : parts) {
    const size_t pos = tpl.find(p.first);
    if (pos == std::string::npos) throw Error("viewer: the page template lacks " + std::string(p.first));
    at.emplace_back(pos, &p);
  }
  std::sort(at.begin(), at.end());
  std::string page;
  size_t size = tpl.size();
  for (const auto& p : parts) size += p.second.size();
  page.reserve(size);
  size_t from = 0;
  for (const auto& [pos, p] : at) {
    page.append(tpl, from, pos - from).append(p->second);
    from = pos + p->first.size();
  }
  page.append(tpl, from);
  return page;
}

}  // namespace attnlab
