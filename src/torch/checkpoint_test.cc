#include "torch/checkpoint.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "test_support.h"
#include "torch/zip_archive.h"
#include "torch_files.h"
#include "util/error.h"

namespace sweinfer::torch {
namespace {

using testing::PickleWriter;
using testing::ZipEntry;

std::vector<float> Floats(std::string_view bytes) {
  std::vector<float> v(bytes.size() / 4);
  std::memcpy(v.data(), bytes.data(), v.size() * 4);
  return v;
}

TEST(TorchCheckpoint, ReadsTheFilesTorchWrote) {
  SWEINFER_REQUIRE_SHARED(shared);
  const std::string fixtures = shared + "/models/fixtures/";
  {
    const std::string bytes = testing::ReadFile(fixtures + "tiny_state_dict_with_one_key.pt");
    Checkpoint c = ReadCheckpoint(bytes, "tiny_state_dict_with_one_key.pt");
    ASSERT_EQ(c.tensors.size(), 1u);
    const StoredTensor& t = c.tensors.at("test_key");
    EXPECT_EQ(t.scalar_type, "float32");
    EXPECT_EQ(t.shape, (std::vector<int64_t>{10, 10}));
    // torch.randn: finite values of unit scale.
    double sum2 = 0;
    for (float v : Floats(t.bytes)) sum2 += v * v;
    EXPECT_GT(sum2 / 100, 0.3);
    EXPECT_LT(sum2 / 100, 3.0);
  }
  {
    // torchtune's naming, nested under "model".
    const std::string bytes = testing::ReadFile(fixtures + "tiny_llama2_checkpoint.pt");
    Checkpoint c = ReadCheckpoint(bytes, "tiny_llama2_checkpoint.pt");
    EXPECT_EQ(c.tensors.size(), 21u);
    EXPECT_EQ(c.tensors.at("tok_embeddings.weight").shape, (std::vector<int64_t>{100, 64}));
    EXPECT_EQ(c.tensors.at("layers.0.attn.k_proj.weight").shape, (std::vector<int64_t>{32, 64}));
    EXPECT_EQ(c.tensors.at("layers.1.mlp.w1.weight").shape, (std::vector<int64_t>{256, 64}));
    EXPECT_EQ(c.tensors.at("output.weight").shape, (std::vector<int64_t>{100, 64}));
  }
  {
    const std::string bytes = testing::ReadFile(fixtures + "tiny_fair_checkpoint.pt");
    Checkpoint c = ReadCheckpoint(bytes, "tiny_fair_checkpoint.pt");
    EXPECT_EQ(c.tensors.at("tok_embeddings.weight").shape, (std::vector<int64_t>{500, 32}));
    EXPECT_EQ(c.tensors.at("layers.1.feed_forward.w2.weight").shape[1], c.tensors.at("layers.1.feed_forward.w1.weight").shape[0]);
    for (float v : Floats(c.tensors.at("layers.0.attention.wq.weight").bytes)) ASSERT_FLOAT_EQ(v, 0.2f);
  }
}

TEST(TorchCheckpoint, OffsetsSharedStoragesAndStrides) {
  // One storage of 12 floats: "a" is its first 6 as 2x3, "b" (tied) the same, "c" the last 4 from offset 8.
  std::vector<float> values(12);
  for (int i = 0; i < 12; ++i) values[i] = static_cast<float>(i);
  PickleWriter p(2);
  p.Op('}').Mark();
  p.Str("a").Tensor("FloatStorage", "0", 12, 0, {2, 3}, {3, 1});
  p.Str("b").Tensor("FloatStorage", "0", 12, 0, {2, 3}, {3, 1});
  p.Str("c").Tensor("FloatStorage", "0", 12, 8, {4}, {1});
  p.Str("n").Tensor("LongStorage", "1", 1, 0, {1}, {1});
  p.Op('u');
  const std::string data(reinterpret_cast<const char*>(values.data()), 48);
  const std::string bytes = testing::ZipBytes({{"m/data.pkl", p.Finish()}, {"m/data/0", data}, {"m/data/1", std::string(8, '\0')}});
  Checkpoint c = ReadCheckpoint(bytes, "m.pt");
  EXPECT_EQ(Floats(c.tensors.at("a").bytes), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(c.tensors.at("a").bytes.data(), c.tensors.at("b").bytes.data());  // tied: one storage, in place
  EXPECT_EQ(c.tensors.at("a").bytes.data(), bytes.data() + bytes.find(data));
  EXPECT_EQ(Floats(c.tensors.at("c").bytes), (std::vector<float>{8, 9, 10, 11}));
  EXPECT_EQ(c.skipped, (std::vector<std::string>{"n"}));
  // A transposed view (strides 1, 2) is refused by name; so is one past its storage's end.
  PickleWriter t(2);
  t.Op('}').Str("t").Tensor("FloatStorage", "0", 12, 0, {3, 2}, {1, 3}).Op('s');
  try {
    ReadCheckpoint(testing::ZipBytes({{"m/data.pkl", t.Finish()}, {"m/data/0", data}}), "m.pt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tensor 't': non-contiguous"), std::string::npos) << e.what();
  }
  PickleWriter o(2);
  o.Op('}').Str("o").Tensor("FloatStorage", "0", 12, 10, {4}, {1}).Op('s');
  EXPECT_THROW(ReadCheckpoint(testing::ZipBytes({{"m/data.pkl", o.Finish()}, {"m/data/0", data}}), "m.pt"), Error);
}

TEST(TorchCheckpoint, Zip64CompressedEntriesAndEveryTruncation) {
  const std::map<std::string, std::pair<std::vector<int64_t>, std::vector<float>>> tensors = {
      {"x", {{2, 2}, {1, 2, 3, 4}}}, {"y", {{3}, {5, 6, 7}}}};
  const std::string zip64 = testing::TorchStateDictBytes(tensors, "archive", true);
  Checkpoint c = ReadCheckpoint(zip64, "z64.pt");
  EXPECT_EQ(Floats(c.tensors.at("y").bytes), (std::vector<float>{5, 6, 7}));
  // torch.save stores entries; a compressed one (an archive re-zipped by another tool) is refused clearly.
  PickleWriter p(2);
  p.Op('}').Str("x").Tensor("FloatStorage", "0", 1, 0, {1}, {1}).Op('s');
  const std::string pkl = p.Finish();
  const std::string one(4, '\0');
  EXPECT_NO_THROW(ReadCheckpoint(testing::ZipBytes({{"a/data.pkl", pkl}, {"a/data/0", one}}), "d.pt"));
  for (const char* compressed : {"a/data.pkl", "a/data/0"}) {
    try {
      ReadCheckpoint(testing::ZipBytes({{"a/data.pkl", pkl, std::string(compressed) == "a/data.pkl"},
                                        {"a/data/0", one, std::string(compressed) == "a/data/0"}}),
                     "d.pt");
      FAIL();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("entry '" + std::string(compressed) + "': compressed"), std::string::npos) << e.what();
    }
  }
  const std::string plain = testing::TorchStateDictBytes(tensors);
  for (size_t cut = 0; cut < plain.size(); ++cut) {
    EXPECT_THROW(ReadCheckpoint(plain.substr(0, cut), "cut.pt"), Error) << cut;
  }
  for (size_t i = 0; i < plain.size(); ++i) {  // every byte flipped: an error or a result, never a crash
    std::string flipped = plain;
    flipped[i] ^= 0xA5;
    try {
      ReadCheckpoint(flipped, "flip.pt");
    } catch (const Error&) {
    }
  }
}

TEST(TorchCheckpoint, ClearErrorsForOtherFiles) {
  // A pre-1.6 torch file starts with a pickle of the magic number, not a zip.
  std::string legacy = "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.";
  try {
    ReadCheckpoint(legacy, "old.bin");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pre-1.6 (non-zip) torch file"), std::string::npos);
  }
  EXPECT_THROW(ReadCheckpoint("not a zip at all, just text long enough", "x.pt"), Error);
  const std::string no_pickle = testing::ZipBytes({{"a/other", "x"}});
  EXPECT_THROW(ReadCheckpoint(no_pickle, "x.pt"), Error);
  PickleWriter evil(2);
  evil.Op('}').Str("x").Global("os", "system").Mark().Str("id").Tuple().Reduce().Op('s');
  try {
    ReadCheckpoint(testing::ZipBytes({{"a/data.pkl", evil.Finish()}}), "evil.pt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("evil.pt: a/data.pkl: global 'os.system' is not allowed in a weights file"),
              std::string::npos) << e.what();
  }
}

TEST(ZipArchive, PythonsZipfileReadsTheTestWritersArchives) {
  // The test writer's archives (stored, deflated, ZIP64) are valid for an independent reader too.
  testing::ScratchDir dir;
  testing::WriteFile(dir / "a.zip", testing::ZipBytes({{"a/x", "hello"}, {"a/y", std::string(1000, 'z'), true}}, true));
  const std::string cmd = "python3 -c \"import zipfile; z=zipfile.ZipFile('" + (dir / "a.zip") +
                          "'); assert z.testzip() is None; assert z.read('a/y') == b'z'*1000\" 2>/dev/null";
  if (std::system("python3 -c 1 2>/dev/null") != 0) GTEST_SKIP() << "python3 is not installed";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  ZipArchive zip(testing::ReadFile(dir / "a.zip"), "a.zip");
  EXPECT_EQ(zip.entries().size(), 2u);
}

}  // namespace
}  // namespace sweinfer::torch
