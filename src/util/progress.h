// The one progress reporter: a bar with count, rate and ETA on stderr when it is a terminal,
// plain lines every few seconds otherwise, nothing when quiet. Counts items, or bytes (shown as
// MB and MB/s) for downloads. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>

namespace sweinfer {

class Progress {
 public:
  enum class Unit { kItems, kBytes };
  Progress(std::string label, size_t total, bool quiet, Unit unit = Unit::kItems, size_t already_done = 0);
  ~Progress();
  void Advance(size_t n = 1);
  void Finish();

 private:
  void Draw(bool final_line);
  std::string label_;
  size_t total_, done_ = 0;
  bool quiet_, terminal_, finished_ = false;
  Unit unit_;
  size_t start_done_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::mutex mutex_;
};

}  // namespace sweinfer
