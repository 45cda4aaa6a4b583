// The answers of recent API requests, by route, model and request body: a class opening the same
// shared link, or one page reloaded, costs one forward pass, not one per request. Forward passes are
// deterministic, so a kept answer is byte for byte the one a new pass would give. Least recently
// used answers go first once the total passes the byte budget; a budget of 0 keeps nothing.
#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace attnlab::server {

class ResponseCache {
 public:
  explicit ResponseCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  std::optional<std::string> find(const std::string& key) {
    std::lock_guard lock(mutex_);
    const auto it = index_.find(key);
    if (it == index_.end()) return std::nullopt;
    entries_.splice(entries_.begin(), entries_, it->second);  // now the most recently used
    return it->second->answer;
  }

  void keep(const std::string& key, const std::string& answer) {
    const size_t bytes = key.size() + answer.size();
    if (bytes > max_bytes_) return;
    std::lock_guard lock(mutex_);
    if (index_.count(key)) return;
    entries_.push_front({key, answer});
    index_.emplace(key, entries_.begin());
    bytes_ += bytes;
    while (bytes_ > max_bytes_) {
      const Entry& last = entries_.back();
      bytes_ -= last.key.size() + last.answer.size();
      index_.erase(last.key);
      entries_.pop_back();
    }
  }

  size_t bytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
  }

 private:
  struct Entry {
    std::string key, answer;
  };
  const size_t max_bytes_;
  mutable std::mutex mutex_;
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  size_t bytes_ = 0;
};

}  // namespace attnlab::server
