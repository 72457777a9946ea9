#include "retrieval/code_docs.h"

#include <gtest/gtest.h>

namespace sweinfer::retrieval {
namespace {

TEST(CodeDocs, JsDocWithTheDeclarationsItDocuments) {
  std::string js =
      "/**\n * marked - a markdown parser\n * Copyright (c) 2011-2022, Christopher Jeffrey.\n */\n\n"
      "import { Lexer } from './Lexer.js';\n\n"
      "/**\n * Parse markdown into HTML.\n * @param {string} src the markdown\n */\nexport function marked(src, opt) {\n"
      "  // an ordinary comment\n  return src;\n}\n\n"
      "/* not documentation */\nconst x = 1;\n\n"
      "export class Renderer {\n  /**\n   * Render a heading.\n   */\n  heading(text, level) {\n    return text;\n  }\n}\n";
  EXPECT_EQ(CodeDocumentationText("src/marked.js", js),
            "src/marked.js\nmarked - a markdown parser\nCopyright (c) 2011-2022, Christopher Jeffrey.\n\n"
            "export function marked(src, opt) {\nParse markdown into HTML.\n@param {string} src the markdown\n\n"
            "heading(text, level) {\nRender a heading.");
}

TEST(CodeDocs, GoRustRubyAndC) {
  EXPECT_EQ(CodeDocumentationText("pkg/x.go", "// Package x does things.\npackage x\n\n// Add adds.\n// It is exact.\nfunc Add(a, b int) int {\n\treturn a + b\n}\n"),
            "pkg/x.go\n\n\npackage x\nPackage x does things.\n\nfunc Add(a, b int) int {\nAdd adds.\nIt is exact.");
  EXPECT_EQ(CodeDocumentationText("src/lib.rs", "//! The crate.\n\n/// Adds two numbers.\npub fn add(a: i32, b: i32) -> i32 { a + b }\n// not doc\nfn hidden() {}\n"),
            "src/lib.rs\nThe crate.\n\npub fn add(a: i32, b: i32) -> i32 { a + b }\nAdds two numbers.");
  EXPECT_EQ(CodeDocumentationText("lib/a.rb", "#!/usr/bin/env ruby\n# Greets people.\nclass Greeter\n  # Says hello.\n  def hello\n  end\nend\n"),
            "lib/a.rb\n\n\nclass Greeter\nGreets people.\n\ndef hello\nSays hello.");
  EXPECT_EQ(CodeDocumentationText("src/a.c", "/* A small library. */\n\n#include <stdio.h>\n\n/* Returns the answer. */\nint answer(void) { return 42; }\n"),
            "src/a.c\nA small library.\n\nint answer(void) { return 42; }\nReturns the answer.");
}

TEST(CodeDocs, JavadocAndPhpDoc) {
  EXPECT_EQ(CodeDocumentationText("A.java", "package a;\n\n/**\n * A thing.\n */\npublic class A {\n  /** The size. */\n  int size() { return 0; }\n}\n"),
            "A.java\n\n\npublic class A {\nA thing.\n\nint size() { return 0; }\nThe size.");
  EXPECT_EQ(CodeDocumentationText("x.php", "<?php\n/**\n * Formats a date.\n */\nfunction fmt($d) {}\n"),
            "x.php\n\n\nfunction fmt($d) {}\nFormats a date.");
  EXPECT_EQ(CodeDocumentationText("empty.ts", "export const a = 1;\n"), "empty.ts\n");
}

}  // namespace
}  // namespace sweinfer::retrieval
