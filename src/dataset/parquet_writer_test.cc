#include "dataset/parquet_writer.h"

#include <gtest/gtest.h>

#include "mixed_records.h"

#include "dataset/parquet_reader.h"

namespace sweinfer::dataset {
namespace {

using testing::MixedRecords;

TEST(ParquetWriter, RoundTripsEveryColumnType) {
  auto records = MixedRecords();
  ParquetWriteOptions o;
  o.row_group_rows = 2;
  EXPECT_EQ(ReadParquetBytes(WriteParquetBytes(records, o), "mem.parquet"), records);
}

// The reader's other paths: data pages v2, every codec, dictionary-encoded strings.
TEST(ParquetWriter, EveryCodecPageVersionAndDictionaryReadsBack) {
  auto records = MixedRecords();
  for (int i = 0; i < 40; ++i) records.push_back(Record{{"id", "rep" + std::to_string(i % 3)}, {"n", i}});
  using Codec = ParquetWriteOptions::Codec;
  for (Codec codec : {Codec::kUncompressed, Codec::kSnappy, Codec::kGzip, Codec::kZstd}) {
    for (int version : {1, 2}) {
      for (bool dictionary : {false, true}) {
        ParquetWriteOptions o;
        o.codec = codec;
        o.data_page_version = version;
        o.dictionary = dictionary;
        o.row_group_rows = 16;
        auto back = ReadParquetBytes(WriteParquetBytes(records, o), "variant.parquet");
        ASSERT_EQ(back.size(), records.size());
        for (size_t r = 0; r < records.size(); ++r) {
          for (auto it = records[r].begin(); it != records[r].end(); ++it) {
            ASSERT_EQ(back[r][it.key()], it.value()) << "codec " << static_cast<int>(codec) << " v" << version
                                                      << " dict " << dictionary << " row " << r << " " << it.key();
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace sweinfer::dataset
