#include "util/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace sweinfer {

Progress::Progress(std::string label, size_t total, bool quiet, Unit unit, size_t already_done)
    : label_(std::move(label)), total_(total), done_(already_done), quiet_(quiet), terminal_(isatty(STDERR_FILENO) != 0),
      unit_(unit), start_done_(already_done), start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

Progress::~Progress() { Finish(); }

void Progress::Advance(size_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  done_ += n;
  auto now = std::chrono::steady_clock::now();
  auto interval = terminal_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(5000);
  if (now - last_draw_ >= interval) {
    last_draw_ = now;
    Draw(false);
  }
}

void Progress::Finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  finished_ = true;
  Draw(true);
}

void Progress::Draw(bool final_line) {
  if (quiet_) return;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  // The rate counts only this run's work (a resumed download starts part-way).
  double rate = seconds > 0 ? (done_ - start_done_) / seconds : 0;
  double eta = rate > 0 && total_ > done_ ? (total_ - done_) / rate : 0;
  char counts[96];
  if (unit_ == Unit::kBytes) {
    std::snprintf(counts, sizeof counts, "%.1f/%.1f MB %.1f MB/s", done_ / 1e6, total_ / 1e6, rate / 1e6);
  } else {
    std::snprintf(counts, sizeof counts, "%zu/%zu %.1f/s", done_, total_, rate);
  }
  if (terminal_) {
    constexpr int kWidth = 30;
    int filled = total_ ? static_cast<int>(kWidth * std::min(done_, total_) / total_) : kWidth;
    std::string bar(filled, '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r%s [%s] %s ETA %.0fs   %s", label_.c_str(), bar.c_str(), counts, eta, final_line ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s: %s (%.1fs elapsed%s)\n", label_.c_str(), counts, seconds, final_line ? ", done" : "");
  }
  std::fflush(stderr);
}

}  // namespace sweinfer
