#include "util/progress.h"

#include <unistd.h>

#include <cstdio>

namespace sweinfer {

Progress::Progress(std::string label, size_t total, bool quiet)
    : label_(std::move(label)), total_(total), quiet_(quiet), terminal_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

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
  double rate = seconds > 0 ? done_ / seconds : 0;
  double eta = rate > 0 && total_ > done_ ? (total_ - done_) / rate : 0;
  if (terminal_) {
    constexpr int kWidth = 30;
    int filled = total_ ? static_cast<int>(kWidth * done_ / total_) : kWidth;
    std::string bar(filled, '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r%s [%s] %zu/%zu %.1f/s ETA %.0fs   %s", label_.c_str(), bar.c_str(), done_, total_, rate,
                 eta, final_line ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s: %zu/%zu (%.1f/s, %.1fs elapsed%s)\n", label_.c_str(), done_, total_, rate, seconds,
                 final_line ? ", done" : "");
  }
  std::fflush(stderr);
}

}  // namespace sweinfer
