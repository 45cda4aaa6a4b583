// The config.json fields the decoder families share (model/llama.cpp, model/gemma3.cpp), read as
// transformers' configuration classes read them; every fault is an attnlab::Error naming the file
// and the field's path.
#pragma once

#include <nlohmann/json.hpp>

#include <vector>

#include "model/spec.h"
#include "text/json_fields.h"

namespace attnlab::decoder_config {

using json_fields::Where;

int int_field(const nlohmann::json& j, const char* key, const Where& w, long long lo, long long hi);
double number_or(const nlohmann::json& j, const char* key, double dflt, const Where& w);

// The rotary embedding of a Llama-layout config: rope_parameters, or rope_scaling + rope_theta.
RopeSpec read_rope(const nlohmann::json& j, const Where& w, int max_positions);
// One rope_parameters object {"rope_type", "rope_theta", "factor", ...} at `where`; `theta` is the base
// when it has no rope_theta (then read at theta_where). Types default, linear, dynamic, yarn, llama3.
RopeSpec read_rope_params(const nlohmann::json& params, const Where& where, double theta, const Where& theta_where,
                          int max_positions);

// bos_token_id / eos_token_id: one id or a list.
void read_token_ids(const nlohmann::json& j, const char* key, const Where& w, std::vector<int>& out);

}  // namespace attnlab::decoder_config
