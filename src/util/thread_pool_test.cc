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

// Balanced work keeps each thread on the same indices from loop to loop (cache-warm weight rows).
TEST(ThreadPool, EachThreadKeepsItsShareWhenTheWorkIsEven) {
  ThreadPool pool(2);
  const int n = 64;
  std::vector<int> first(n, -1);
  int same = 0, total = 0;
  for (int round = 0; round < 20; ++round) {
    std::vector<int> owner(n, -1);
    pool.ParallelFor(n, [&](int64_t i, int worker) {
      // Even, not trivial, work: a thread finishes its own share before the other could steal.
      volatile double x = 0;
      for (int k = 0; k < 20000; ++k) x = x + k;
      owner[i] = worker;
    });
    if (round == 0) {
      first = owner;
      continue;
    }
    for (int i = 0; i < n; ++i) same += owner[i] == first[i], ++total;
  }
  // Worker 0 (the caller) starts with [0, 32), worker 1 with [32, 64); a preempted thread on a
  // busy machine may lose some indices to the other, but most stay put.
  EXPECT_EQ(first[0], 0);
  EXPECT_GT(same, total * 3 / 4);
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
