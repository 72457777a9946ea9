#include "check/python_syntax.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>
#include <vector>

namespace sweinfer::check {
namespace {

TEST(PythonSyntax, AcceptsValidModules) {
  EXPECT_FALSE(CheckPythonSyntax("", "empty.py"));
  EXPECT_FALSE(CheckPythonSyntax("def f(x):\n    return x + 1\n", "f.py"));
  EXPECT_FALSE(CheckPythonSyntax("match p:\n    case [x, y]:\n        pass\n", "match.py"));  // 3.10+ syntax
  EXPECT_FALSE(CheckPythonSyntax("x = f'{a!r:>10}'\nasync def g():\n    await h()\n", "fstr.py"));
  EXPECT_FALSE(CheckPythonSyntax("s = 'caf\xc3\xa9'\n", "utf8.py"));
}

TEST(PythonSyntax, ReportsTheErrorAndItsLine) {
  auto indent = CheckPythonSyntax("def f():\n    x = 1\n      y = 2\n", "f.py");
  ASSERT_TRUE(indent);
  EXPECT_EQ(indent->line, 3);
  EXPECT_EQ(indent->message, "unexpected indent");

  auto unclosed = CheckPythonSyntax("x = (1,\ny = 2\n", "f.py");
  ASSERT_TRUE(unclosed);
  EXPECT_GE(unclosed->line, 1);

  auto py2 = CheckPythonSyntax("print 'hello'\n", "f.py");
  ASSERT_TRUE(py2);
  EXPECT_EQ(py2->line, 1);
  EXPECT_NE(py2->message.find("parentheses"), std::string::npos) << py2->message;

  EXPECT_TRUE(CheckPythonSyntax(std::string("x = 1\0\n", 7), "nul.py"));
}

TEST(PythonSyntax, NothingInTheSourceRuns) {
  // Parsing builds a tree only: a module that would exit or write files does neither.
  EXPECT_FALSE(CheckPythonSyntax("import os\nos._exit(3)\nopen('/tmp/sweinfer-should-not-exist','w')\n", "evil.py"));
  EXPECT_FALSE(std::ifstream("/tmp/sweinfer-should-not-exist").good());
}

TEST(PythonSyntax, SafeFromManyThreads) {
  std::vector<std::thread> threads;
  std::vector<int> failures(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([t, &failures] {
      for (int i = 0; i < 50; ++i) {
        bool bad = (i + t) % 2;
        auto r = CheckPythonSyntax(bad ? "def (:\n" : "x = [i for i in range(3)]\n", "t.py");
        if (static_cast<bool>(r) != bad) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

}  // namespace
}  // namespace sweinfer::check
