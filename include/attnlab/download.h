// Download progress as the engine reports it while fetching a model from the Hub. The library
// prints nothing; a front end draws what it likes from these calls.
#pragma once

#include <cstdint>
#include <string>

namespace attnlab {

// One file's progress. The first call for a file has done == resumed_from; the last has finished set.
struct DownloadProgress {
  std::string file;           // "model.safetensors"
  uint64_t done = 0;          // bytes on disk so far, resumed part included
  uint64_t total = 0;         // announced size, 0 if unknown
  uint64_t resumed_from = 0;  // bytes already on disk when this download started
  bool finished = false;      // the transfer ended (successfully or not)
  bool waiting = false;       // another process is downloading this file: this one waits for it
                              // (one such call, a second into the wait; no byte counts)
};

}  // namespace attnlab
