// A fixed set of worker threads for data-parallel loops that run many times a second (the
// inference engine calls it hundreds of times per token). ParallelFor(n, fn) calls fn(i, worker)
// for every i in [0, n) exactly once, spread over the workers and the calling thread, and returns
// when all calls have finished. Worker w first takes the indices [n*w/T, n*(w+1)/T), so a loop
// over the same n gives each thread the same indices every time (the same weight rows from token
// to token); a thread that runs out takes the next indices of another's share, so a slow or
// preempted thread does not hold the loop up. Waiting threads spin for a few microseconds (the
// next loop usually starts that soon), then sleep in the kernel: an idle pool uses no CPU.
// One loop at a time: ParallelFor is not reentrant and not for concurrent callers.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace sweinfer {

// Physical cores this process may run on: distinct (package, core) pairs of the CPUs in its
// affinity mask, from /sys/devices/system/cpu/*/topology; the number of CPUs in the mask where that
// is unreadable. SMT siblings share a core's vector units, so a matrix loop gains nothing from them.
int PhysicalCores();

class ThreadPool {
 public:
  // threads <= 0: one per physical core (PhysicalCores()). The caller's thread counts as one.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }
  // How indices are handed out: kStatic as above (the same share per thread each time, for even
  // work such as matrix rows), kDynamic one at a time from a single queue (for uneven work such as
  // files of very different sizes).
  enum class Schedule { kStatic, kDynamic };
  // fn(index, worker) with worker in [0, size()).
  void ParallelFor(int64_t n, const std::function<void(int64_t, int)>& fn, Schedule schedule = Schedule::kStatic);

 private:
  void WorkerLoop(int worker);
  void RunShare(int worker);

  // One thread's share of the current loop; others take from it once theirs is done.
  struct alignas(64) Share {
    std::atomic<int64_t> next{0};
    int64_t end = 0;
  };
  std::vector<std::thread> workers_;
  std::unique_ptr<Share[]> shares_;
  std::atomic<uint32_t> generation_{0};  // bumped to start a loop (and to stop)
  std::atomic<int> busy_{0};             // workers still in the current loop
  const std::function<void(int64_t, int)>* fn_ = nullptr;
  std::atomic<bool> stop_{false};
};

}  // namespace sweinfer
