// Reading small files a stranger gave us (config.json, tokenizer.json, vocab.txt): only regular
// files, never more than a stated size, every failure an attnlab::Error naming the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace attnlab {

// The read limits of the model's small files, which also cap their download from the Hub.
inline constexpr uint64_t kMaxConfigBytes = uint64_t{1} << 20;          // config.json
inline constexpr uint64_t kMaxTokenizerFileBytes = uint64_t{64} << 20;  // vocab.txt, tokenizer*.json, ...

// Whole file as bytes. Missing, not a regular file (directory, FIFO, device) or unreadable:
// kExitInput, "<path>: <what> ..."; larger than max_bytes: kExitInput naming both sizes.
// `what` names the file's role for the message, e.g. "model configuration".
std::string read_bounded_file(const std::filesystem::path& path, uint64_t max_bytes, const char* what);

}  // namespace attnlab
