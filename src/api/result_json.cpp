// See attnlab/result_json.h (and role_name of attnlab/encoding.h). Writes JSON of the public
// types only; knows no engine internals.
#include "attnlab/result_json.h"

#include <vector>

namespace attnlab {

std::string_view role_name(TokenRole role) {
  switch (role) {
    case TokenRole::kNone: return "";
    case TokenRole::kBos: return "bos";
    case TokenRole::kEos: return "eos";
    case TokenRole::kCls: return "cls";
    case TokenRole::kSep: return "sep";
    case TokenRole::kPad: return "pad";
    case TokenRole::kUnk: return "unk";
    case TokenRole::kMask: return "mask";
    case TokenRole::kOther: return "special";
  }
  return "special";
}


void write_encoding_json(JsonWriter& w, const Encoding& e) {
  w.key("tokens").strings(e.tokens).key("input_ids").ints(e.input_ids);
  std::vector<int> types(e.size());
  for (size_t i = 0; i < e.size(); ++i) types[i] = e.type_id(i);
  w.key("token_type_ids").ints(types);
  w.key("word_ids").begin_array();
  for (size_t i = 0; i < e.size(); ++i) {
    if (i < e.word_ids.size() && e.word_ids[i] >= 0) w.value(e.word_ids[i]);
    else w.null();
  }
  w.end_array();
  w.key("special").begin_array();
  for (size_t i = 0; i < e.size(); ++i) {
    if (e.is_special(i)) w.value(role_name(e.role(i)));
    else w.null();
  }
  w.end_array();
  w.key("truncated").value(e.truncated);
}

void write_top_k_json(JsonWriter& w, std::span<const Engine::NextToken> top) {
  w.key("top_k").begin_array();
  for (const Engine::NextToken& t : top)
    w.begin_object().key("id").value(t.id).key("token").value(t.token).key("prob").value(t.prob).end_object();
  w.end_array();
}

}  // namespace attnlab
