#include "util/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
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

}  // namespace
TEST(ThreadPool, PhysicalCoresWithinTheAffinityMask) {
  const int cores = PhysicalCores();
  EXPECT_GE(cores, 1);
  EXPECT_LE(cores, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  ThreadPool pool(0);
  EXPECT_EQ(pool.size(), cores);
}

}  // namespace sweinfer
