#include "util/thread_pool.h"

#include <gtest/gtest.h>

#include <time.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace sweinfer {
namespace {

TEST(ThreadPool, EveryIndexRunsExactlyOnceInEveryLoop) {
  ThreadPool pool(3);
  EXPECT_EQ(pool.size(), 3);
  for (int round = 0; round < 500; ++round) {
    const int n = 1 + round % 37;
    std::vector<std::atomic<int>> hits(n);
    std::atomic<int> bad_worker{0};
    pool.ParallelFor(n, [&](int64_t i, int worker) {
      hits[i].fetch_add(1);
      if (worker < 0 || worker >= pool.size()) bad_worker.fetch_add(1);
    });
    for (int i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "round " << round << " index " << i;
    ASSERT_EQ(bad_worker.load(), 0);
  }
  pool.ParallelFor(0, [](int64_t, int) { FAIL(); });
}

TEST(ThreadPool, OneThreadRunsInline) {
  ThreadPool pool(1);
  int sum = 0;  // no synchronisation needed: everything runs on this thread
  pool.ParallelFor(100, [&](int64_t i, int worker) {
    EXPECT_EQ(worker, 0);
    sum += static_cast<int>(i);
  });
  EXPECT_EQ(sum, 4950);
}

// Each thread starts every loop at the start of its own share: worker 0 at index 0, worker 1 at
// n/2, loop after loop (the same weight rows for the same thread from token to token). Made
// deterministic: index 0 waits until the other share has started, which only worker 1 can do.
TEST(ThreadPool, EachThreadStartsEveryLoopOnItsOwnShare) {
  ThreadPool pool(2);
  const int n = 64;
  for (int round = 0; round < 50; ++round) {
    std::vector<std::atomic<int>> owner(n);
    std::atomic<bool> second_share_started{false};
    pool.ParallelFor(n, [&](int64_t i, int worker) {
      owner[i] = worker;
      if (i >= n / 2) second_share_started = true;
      if (i == 0) {
        while (!second_share_started) std::this_thread::yield();
      }
    });
    ASSERT_EQ(owner[0].load(), 0) << "round " << round;
    ASSERT_EQ(owner[n / 2].load(), 1) << "round " << round;
  }
}

// An idle pool sleeps: its threads use no CPU between loops.
TEST(ThreadPool, IdleWorkersDoNotSpin) {
  ThreadPool pool(2);
  pool.ParallelFor(8, [](int64_t, int) {});
  timespec before{}, after{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &before);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &after);
  const double cpu = (after.tv_sec - before.tv_sec) + (after.tv_nsec - before.tv_nsec) / 1e9;
  EXPECT_LT(cpu, 0.02) << "the pool burned " << cpu << " s of CPU in 0.2 s of idleness";
}

}  // namespace
TEST(ThreadPool, PhysicalCoresWithinTheAffinityMask) {
  const int cores = PhysicalCores();
  EXPECT_GE(cores, 1);
  EXPECT_LE(cores, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  ThreadPool pool(0);
  EXPECT_EQ(pool.size(), cores);
}

}  // namespace sweinfer
