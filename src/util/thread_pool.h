// A fixed set of worker threads for data-parallel loops that run many times a second (the
// inference engine calls it hundreds of times per token). ParallelFor(n, fn) calls fn(i, worker)
// for every i in [0, n) exactly once, spread over the workers and the calling thread, and returns
// when all calls have finished. Workers spin briefly before sleeping so back-to-back loops pay no
// wake-up latency. One loop at a time: ParallelFor is not reentrant and not for concurrent callers.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
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
  // fn(index, worker) with worker in [0, size()).
  void ParallelFor(int64_t n, const std::function<void(int64_t, int)>& fn);

 private:
  void WorkerLoop(int worker);
  void RunShare(int worker);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int64_t> next_{0};
  std::atomic<int> busy_{0};
  int64_t n_ = 0;
  const std::function<void(int64_t, int)>* fn_ = nullptr;
  bool stop_ = false;
};

}  // namespace sweinfer
