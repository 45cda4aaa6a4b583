// Environment variables for one test: the named ones are unset on construction (set() gives them
// values) and restored to what they were on destruction.
#pragma once

#include <stdlib.h>

#include <initializer_list>
#include <map>
#include <string>
#include <vector>

namespace attnlab::testing {

class EnvGuard {
 public:
  explicit EnvGuard(std::initializer_list<const char*> names) : names_(names.begin(), names.end()) {
    for (const std::string& name : names_) {
      if (const char* v = std::getenv(name.c_str())) saved_[name] = v;
      unsetenv(name.c_str());
    }
  }
  ~EnvGuard() {
    for (const std::string& name : names_) {
      auto it = saved_.find(name);
      if (it == saved_.end()) unsetenv(name.c_str());
      else setenv(name.c_str(), it->second.c_str(), 1);
    }
  }
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;
  void set(const char* name, const std::string& value) { setenv(name, value.c_str(), 1); }
  void unset(const char* name) { unsetenv(name); }

 private:
  std::vector<std::string> names_;
  std::map<std::string, std::string> saved_;
};

}  // namespace attnlab::testing
