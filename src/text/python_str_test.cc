#include "text/python_str.h"

#include <gtest/gtest.h>

namespace sweinfer::text {
namespace {

TEST(PythonStr, Utf8ErrorsReadLikeCPython) {
  EXPECT_EQ(Utf8Error("plain"), std::nullopt);
  EXPECT_EQ(*Utf8Error("caf\xe9 au lait"), "'utf-8' codec can't decode byte 0xe9 in position 3: invalid continuation byte");
  EXPECT_EQ(*Utf8Error("\x80"), "'utf-8' codec can't decode byte 0x80 in position 0: invalid start byte");
  EXPECT_EQ(*Utf8Error("ab\xe2\x82"), "'utf-8' codec can't decode bytes in position 2-3: unexpected end of data");
  EXPECT_TRUE(Utf8Error("\xed\xa0\x80").has_value());  // surrogates are rejected
  EXPECT_EQ(Utf8Replace("a\xffz"), "a\xEF\xBF\xBDz");
}

TEST(PythonStr, UniversalNewlinesAndUnicodeStrip) {
  EXPECT_EQ(UniversalNewlines("a\r\nb\rc\n"), "a\nb\nc\n");
  EXPECT_EQ(PythonStrip("\xc2\xa0 x \xe2\x80\xa8\x1c"), "x");
  EXPECT_EQ(PythonRStrip("x\xc2\x85"), "x");
  EXPECT_EQ(PythonDecimalInt("\xd9\xa1\xd9\xa2"), 12);  // Arabic-Indic digits
  EXPECT_EQ(PythonDecimalInt("1a"), std::nullopt);
  EXPECT_EQ(PythonRepr("it's"), "\"it's\"");
}

}  // namespace
}  // namespace sweinfer::text
