#include "dataset/jsonl.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <set>

#include "test_support.h"
#include "util/error.h"

namespace sweinfer::dataset {
namespace {

TEST(JsonlWriter, ReadsBackDoneIdsAndDropsTornLine) {
  testing::ScratchDir dir;
  std::string path = dir / "out.jsonl";
  testing::WriteFile(path, "{\"instance_id\": \"a\"}\n{\"instance_id\": \"b\"}\n{\"instance_id\": \"c\", \"te");
  {
    JsonlWriter writer(path, "instance_id");
    EXPECT_EQ(writer.done_ids(), (std::unordered_set<std::string>{"a", "b"}));
    EXPECT_GT(writer.dropped_torn_bytes(), 0u);
    writer.Append(Record{{"instance_id", "c"}});
  }
  auto records = ReadJsonl(path);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2]["instance_id"], "c");
}

TEST(JsonlWriter, MalformedCompleteLineIsAnErrorNamingFileAndLine) {
  testing::ScratchDir dir;
  std::string path = dir / "bad.jsonl";
  testing::WriteFile(path, "{\"instance_id\": \"a\"}\nnot json\n");
  try {
    JsonlWriter writer(path, "instance_id");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.jsonl:2"), std::string::npos) << e.what();
  }
  EXPECT_EQ(testing::ReadFile(path), "{\"instance_id\": \"a\"}\nnot json\n");  // untouched
}

TEST(ParseRecord, NumberOverflowIsAnErrorNotACrash) {  // found by fuzz/jsonl_fuzz
  EXPECT_THROW(ParseRecord("{\"a\": 8e4927}", "x.jsonl:1"), Error);
}

// A child appends records 0..N-1, skipping those already done; it is killed with SIGKILL at
// random moments and restarted until it finishes. Every record must appear exactly once.
TEST(JsonlWriter, SurvivesKillNineAtRandomPoints) {
  testing::ScratchDir dir;
  std::string path = dir / "kill.jsonl";
  constexpr int kRecords = 400;
  std::mt19937 rng(7);
  for (int round = 0; round < 60; ++round) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      JsonlWriter writer(path, "instance_id", FsyncPolicy::kNever);
      std::string padding(2000, 'x');
      for (int i = 0; i < kRecords; ++i) {
        std::string id = "id-" + std::to_string(i);
        if (writer.done_ids().count(id)) continue;
        writer.Append(Record{{"instance_id", id}, {"payload", padding}});
      }
      _exit(0);
    }
    usleep(std::uniform_int_distribution<int>(0, 4000)(rng));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
  }
  {
    JsonlWriter finisher(path, "instance_id", FsyncPolicy::kNever);
    for (int i = 0; i < kRecords; ++i) {
      std::string id = "id-" + std::to_string(i);
      if (!finisher.done_ids().count(id)) finisher.Append(Record{{"instance_id", id}});
    }
  }
  std::multiset<std::string> ids;
  for (const auto& r : ReadJsonl(path)) ids.insert(r["instance_id"].get<std::string>());
  EXPECT_EQ(ids.size(), static_cast<size_t>(kRecords));
  for (int i = 0; i < kRecords; ++i) EXPECT_EQ(ids.count("id-" + std::to_string(i)), 1u);
}

}  // namespace
}  // namespace sweinfer::dataset
