#include "retrieval/python_docstrings.h"

#include <unicode/uchar.h>

#include <deque>
#include <memory>
#include <set>

#include "text/python_str.h"

namespace sweinfer::retrieval {

namespace {

// ---- Tokens ------------------------------------------------------------------------------------

enum class Tok { kName, kNumber, kString, kOp, kNewline, kIndent, kDedent, kEnd };

struct Token {
  Tok kind;
  std::string_view text;
  std::string_view prefix;  // strings: lower-cased prefix letters
  std::string_view body;    // strings: the text between the quotes
};

struct SyntaxError {};

bool IsIdentStart(char32_t c) { return c == '_' || (c < 0x80 ? std::isalpha(static_cast<int>(c)) : u_hasBinaryProperty(c, UCHAR_XID_START)); }
bool IsIdentContinue(char32_t c) {
  return c == '_' || (c < 0x80 ? std::isalnum(static_cast<int>(c)) : u_hasBinaryProperty(c, UCHAR_XID_CONTINUE));
}

// Python's tokenizer, enough for block structure, strings and the errors that matter here.
// Lenient mode parses like parso (jedi's parser), which recovers from Python 2 syntax.
thread_local bool g_lenient = false;

std::vector<Token> Tokenize(std::string_view s) {
  std::vector<Token> out;
  std::vector<int> indents = {0};
  int depth = 0;
  size_t pos = 0;
  bool at_line_start = true;
  while (pos < s.size()) {
    if (at_line_start && depth == 0) {
      // Measure indentation; blank and comment-only lines do not count.
      int column = 0;
      size_t p = pos;
      while (p < s.size() && (s[p] == ' ' || s[p] == '\t' || s[p] == '\f')) {
        if (s[p] == ' ') ++column;
        else if (s[p] == '\t') column = (column / 8 + 1) * 8;
        else column = 0;
        ++p;
      }
      if (p >= s.size()) {
        pos = p;
        break;
      }
      if (s[p] == '\n' || s[p] == '#' || (s[p] == '\\' && p + 1 < s.size() && s[p + 1] == '\n')) {
        if (s[p] == '#') {
          while (p < s.size() && s[p] != '\n') ++p;
        }
        if (p < s.size() && s[p] == '\\') p += 2;
        else if (p < s.size()) ++p;
        pos = p;
        continue;
      }
      if (column > indents.back()) {
        indents.push_back(column);
        out.push_back({Tok::kIndent, {}, {}, {}});
      } else {
        while (column < indents.back()) {
          indents.pop_back();
          out.push_back({Tok::kDedent, {}, {}, {}});
        }
        if (column != indents.back()) throw SyntaxError{};  // unindent does not match any outer level
      }
      pos = p;
      at_line_start = false;
    }
    char c = s[pos];
    if (c == ' ' || c == '\t' || c == '\f') {
      ++pos;
      continue;
    }
    if (c == '#') {
      while (pos < s.size() && s[pos] != '\n') ++pos;
      continue;
    }
    if (c == '\\') {
      if (pos + 1 < s.size() && s[pos + 1] == '\n') {
        pos += 2;
        continue;
      }
      throw SyntaxError{};
    }
    if (c == '\n') {
      ++pos;
      if (depth == 0) {
        if (!out.empty() && out.back().kind != Tok::kNewline && out.back().kind != Tok::kIndent &&
            out.back().kind != Tok::kDedent) {
          out.push_back({Tok::kNewline, {}, {}, {}});
        }
        at_line_start = true;
      }
      continue;
    }
    size_t start = pos;
    // Strings, with an optional prefix.
    size_t q = pos;
    while (q < s.size() && q - pos < 3 && std::string_view("rRbBuUfF").find(s[q]) != std::string_view::npos) ++q;
    if (q < s.size() && (s[q] == '\'' || s[q] == '"')) {
      std::string_view prefix = s.substr(pos, q - pos);
      std::string lower;
      for (char ch : prefix) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
      static const std::set<std::string> kPrefixes = {"", "r", "u", "b", "br", "rb", "f", "fr", "rf"};
      if (!kPrefixes.count(lower) && !g_lenient) throw SyntaxError{};  // e.g. Python 2's ur""
      char quote = s[q];
      bool triple = q + 2 < s.size() && s[q + 1] == quote && s[q + 2] == quote;
      size_t body_start = q + (triple ? 3 : 1);
      size_t p = body_start;
      bool raw = lower.find('r') != std::string::npos;
      while (true) {
        if (p >= s.size()) throw SyntaxError{};  // unterminated
        char ch = s[p];
        if (ch == '\\') {
          p += 2;
          continue;
        }
        if (!triple && ch == '\n') throw SyntaxError{};
        if (ch == quote && (!triple || (p + 2 < s.size() && s[p + 1] == quote && s[p + 2] == quote))) break;
        ++p;
      }
      (void)raw;
      size_t body_end = p;
      pos = p + (triple ? 3 : 1);
      // Keep the prefix in the original case in `prefix` via a stable view.
      out.push_back({Tok::kString, s.substr(start, pos - start), s.substr(pos - pos + start, q - start),
                     s.substr(body_start, body_end - body_start)});
      continue;
    }
    size_t cp_pos = pos;
    char32_t cp = text::NextCodePoint(s, cp_pos);
    if (IsIdentStart(cp)) {
      pos = cp_pos;
      while (pos < s.size()) {
        size_t next = pos;
        char32_t d = text::NextCodePoint(s, next);
        if (!IsIdentContinue(d)) break;
        pos = next;
      }
      out.push_back({Tok::kName, s.substr(start, pos - start), {}, {}});
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || (c == '.' && pos + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[pos + 1])))) {
      while (pos < s.size() && (std::isalnum(static_cast<unsigned char>(s[pos])) || s[pos] == '.' || s[pos] == '_' ||
                                ((s[pos] == '+' || s[pos] == '-') && (s[pos - 1] == 'e' || s[pos - 1] == 'E') &&
                                 !(s[start] == '0' && pos > start + 1 && (s[start + 1] == 'x' || s[start + 1] == 'X'))))) {
        ++pos;
      }
      std::string_view number = s.substr(start, pos - start);
      // Python 2 forms: 0777 (old octal), 10L (long).
      if (number.size() > 1 && number[0] == '0' && std::isdigit(static_cast<unsigned char>(number[1]))) {
        if (number.find_first_not_of("0_") != std::string_view::npos &&
            number.find_first_of(".eEjJ") == std::string_view::npos) {
          if (!g_lenient) throw SyntaxError{};
        }
      }
      if ((number.back() == 'l' || number.back() == 'L') && !g_lenient) throw SyntaxError{};
      out.push_back({Tok::kNumber, number, {}, {}});
      continue;
    }
    // Operators and delimiters.
    static const char* kThree[] = {"**=", "//=", ">>=", "<<=", "...", "!=", nullptr};
    static const char* kTwo[] = {"**", "//", "<<", ">>", "<=", ">=", "==", "!=", "->", "+=", "-=", "*=", "/=",
                                 "%=", "&=", "|=", "^=", "@=", ":=", nullptr};
    size_t len = 1;
    for (const char** t = kThree; *t; ++t) {
      if (s.substr(pos, 3) == *t) len = 3;
    }
    if (len == 1) {
      for (const char** t = kTwo; *t; ++t) {
        if (s.substr(pos, 2) == *t) len = 2;
      }
    }
    if (s.substr(pos, 2) == "<>" && !g_lenient) throw SyntaxError{};  // Python 2's not-equal
    if (len == 1 && std::string_view("()[]{}:;,.+-*/%&|^~<>=@!").find(c) == std::string_view::npos && !g_lenient) {
      throw SyntaxError{};  // '$', '?', '`' and other characters Python 3 does not know
    }
    if (len == 1 && c == '!' && !g_lenient) throw SyntaxError{};
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') {
      if (--depth < 0) throw SyntaxError{};
    }
    out.push_back({Tok::kOp, s.substr(pos, len), {}, {}});
    pos += len;
  }
  if (depth != 0) throw SyntaxError{};
  if (!out.empty() && out.back().kind != Tok::kNewline && out.back().kind != Tok::kDedent) out.push_back({Tok::kNewline, {}, {}, {}});
  while (indents.size() > 1) {
    indents.pop_back();
    out.push_back({Tok::kDedent, {}, {}, {}});
  }
  out.push_back({Tok::kEnd, {}, {}, {}});
  return out;
}

// ---- Statements --------------------------------------------------------------------------------

struct Node {
  enum Kind { kModule, kDef, kOther } kind = kOther;
  bool is_class = false;
  std::string name;
  std::string params;        // functions: parameters as jedi prints them
  bool is_property = false;  // decorated with @property (jedi shows no signature)
  std::string bases;         // classes: the text between the parentheses
  std::string returns;       // functions: " -> annotation" or ""
  std::optional<std::string> docstring;
  bool docstring_checked = false;
  std::vector<std::unique_ptr<Node>> children;
};

const std::set<std::string_view>& Keywords() {
  static const std::set<std::string_view> k = {
      "False", "None",   "True",  "and",   "as",   "assert", "async",  "await",    "break",  "class", "continue",
      "def",   "del",    "elif",  "else",  "except", "finally", "for", "from",     "global", "if",    "import",
      "in",    "is",     "lambda", "nonlocal", "not", "or", "pass",  "raise",    "return", "try",   "while",
      "with",  "yield"};
  return k;
}

bool IsAtom(const Token& t) {
  return (t.kind == Tok::kName && !Keywords().count(t.text)) || t.kind == Tok::kNumber || t.kind == Tok::kString;
}

// Checks a logical line for the Python 2 constructs CPython 3 rejects.
void CheckLine(const std::vector<Token>& line) {
  if (g_lenient) return;
  for (size_t i = 0; i + 1 < line.size(); ++i) {
    const Token& a = line[i];
    const Token& b = line[i + 1];
    // Two atoms side by side ("print x", "exec code", "10L" split) are not Python 3, except
    // adjacent strings and the soft keywords match/case/type/_ starting a statement.
    if (IsAtom(a) && IsAtom(b) && !(a.kind == Tok::kString && b.kind == Tok::kString)) {
      bool soft = i == 0 && a.kind == Tok::kName && (a.text == "match" || a.text == "case" || a.text == "type");
      if (!soft) throw SyntaxError{};
    }
  }
  // Assigning to True, False or None (Python 2 modules defined them): "False = 0".
  if (line.size() > 1 && line[0].kind == Tok::kName &&
      (line[0].text == "True" || line[0].text == "False" || line[0].text == "None") && line[1].kind == Tok::kOp &&
      line[1].text == "=") {
    throw SyntaxError{};
  }
  bool import_line = !line.empty() && line[0].kind == Tok::kName && line[0].text == "from";
  for (size_t i = 0; i + 1 < line.size() && !import_line; ++i) {
    // An attribute named with a keyword: constants.False, x.class.
    if (line[i].kind == Tok::kOp && line[i].text == "." && line[i + 1].kind == Tok::kName &&
        Keywords().count(line[i + 1].text)) {
      throw SyntaxError{};
    }
  }
  if (line.empty() || line[0].kind != Tok::kName) return;
  auto comma_at_depth0 = [&](size_t from, std::string_view until) {
    int depth = 0;
    for (size_t i = from; i < line.size(); ++i) {
      std::string_view t = line[i].text;
      if (line[i].kind == Tok::kOp && (t == "(" || t == "[" || t == "{")) ++depth;
      if (line[i].kind == Tok::kOp && (t == ")" || t == "]" || t == "}")) --depth;
      if (depth == 0 && line[i].kind == Tok::kOp && t == until) return false;
      if (depth == 0 && line[i].kind == Tok::kOp && t == ",") return true;
    }
    return false;
  };
  if (line[0].text == "except" && comma_at_depth0(1, ":")) throw SyntaxError{};  // except E, e:
  if (line[0].text == "raise" && comma_at_depth0(1, ";")) throw SyntaxError{};   // raise E, "message"
  if ((line[0].text == "def" || (line[0].text == "async" && line.size() > 1 && line[1].text == "def"))) {
    // Python 2 tuple parameters: def f((a, b)):
    size_t open = line[0].text == "def" ? 3 : 4;
    if (open + 1 < line.size() && line[open].text == "(" && line[open + 1].text == "(") throw SyntaxError{};
  }
}

// Evaluates a docstring candidate: a run of string tokens (a parenthesised run too).
std::optional<std::string> StringValue(const std::vector<Token>& stmt) {
  size_t begin = 0, end = stmt.size();
  while (end > begin && stmt[begin].kind == Tok::kOp && stmt[begin].text == "(" && stmt[end - 1].kind == Tok::kOp &&
         stmt[end - 1].text == ")") {
    ++begin;
    --end;
  }
  if (begin >= end) return std::nullopt;
  std::string value;
  bool bytes = false, fstring = false;
  for (size_t i = begin; i < end; ++i) {
    const Token& t = stmt[i];
    if (t.kind != Tok::kString) return std::nullopt;
    std::string prefix;
    for (char c : t.prefix) prefix.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (prefix.find('b') != std::string::npos) bytes = true;
    if (prefix.find('f') != std::string::npos) fstring = true;
    if (prefix.find('r') != std::string::npos) {
      value += t.body;
      continue;
    }
    std::string_view b = t.body;
    for (size_t k = 0; k < b.size(); ++k) {
      if (b[k] != '\\' || k + 1 >= b.size()) {
        value.push_back(b[k]);
        continue;
      }
      char e = b[++k];
      switch (e) {
        case '\n': break;
        case '\\': value.push_back('\\'); break;
        case '\'': value.push_back('\''); break;
        case '"': value.push_back('"'); break;
        case 'a': value.push_back('\a'); break;
        case 'b': value.push_back('\b'); break;
        case 'f': value.push_back('\f'); break;
        case 'n': value.push_back('\n'); break;
        case 'r': value.push_back('\r'); break;
        case 't': value.push_back('\t'); break;
        case 'v': value.push_back('\v'); break;
        case 'x': case 'u': case 'U': {
          size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          if (k + digits >= b.size() + 0 && k + digits > b.size() - 1 + 1) throw SyntaxError{};
          std::string hex(b.substr(k + 1, digits));
          if (hex.size() != digits || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) throw SyntaxError{};
          char32_t cp = static_cast<char32_t>(std::stoul(hex, nullptr, 16));
          text::AppendUtf8(value, cp);
          k += digits;
          break;
        }
        case 'N': {
          size_t close = b.find('}', k);
          if (k + 1 >= b.size() || b[k + 1] != '{' || close == std::string_view::npos) throw SyntaxError{};
          std::string name(b.substr(k + 2, close - k - 2));
          UErrorCode status = U_ZERO_ERROR;
          UChar32 cp = u_charFromName(U_UNICODE_CHAR_NAME, name.c_str(), &status);
          if (U_FAILURE(status)) throw SyntaxError{};
          text::AppendUtf8(value, static_cast<char32_t>(cp));
          k = close;
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            int v = e - '0', n = 1;
            while (n < 3 && k + 1 < b.size() && b[k + 1] >= '0' && b[k + 1] <= '7') v = v * 8 + (b[++k] - '0'), ++n;
            text::AppendUtf8(value, static_cast<char32_t>(v));
          } else {
            value.push_back('\\');
            value.push_back(e);
          }
      }
    }
  }
  if (bytes || fstring) return std::nullopt;
  return value;
}

// Splits a logical line into simple statements at top-level ';'.
std::vector<Token> FirstSimpleStatement(const std::vector<Token>& line, size_t from) {
  std::vector<Token> out;
  int depth = 0;
  for (size_t i = from; i < line.size(); ++i) {
    const Token& t = line[i];
    if (t.kind == Tok::kOp && (t.text == "(" || t.text == "[" || t.text == "{")) ++depth;
    if (t.kind == Tok::kOp && (t.text == ")" || t.text == "]" || t.text == "}")) --depth;
    if (depth == 0 && t.kind == Tok::kOp && t.text == ";") break;
    out.push_back(t);
  }
  return out;
}

// Position after the header's ':' at bracket depth 0, or npos.
size_t HeaderColon(const std::vector<Token>& line) {
  int depth = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    const Token& t = line[i];
    if (t.kind != Tok::kOp) continue;
    if (t.text == "(" || t.text == "[" || t.text == "{") ++depth;
    if (t.text == ")" || t.text == "]" || t.text == "}") --depth;
    if (depth == 0 && t.text == ":" ) return i + 1;
    if (t.text == "lambda") continue;
  }
  return std::string::npos;
}

// A name event in source order, for the jedi encoder.
struct NameEvent {
  const Node* def = nullptr;  // a function or class; else a module-level variable
  std::string variable;
  std::vector<const Node*> scopes;  // enclosing defs, outermost first
};

// Joins tokens the way parso's get_code() of a normalised parameter reads: tokens separated by
// the original spacing is not kept, so rebuild with Python's usual spacing.
std::string JoinTokens(const std::vector<Token>& toks, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i) {
    const Token& t = toks[i];
    std::string_view x = t.text;
    bool op = t.kind == Tok::kOp;
    if (!out.empty()) {
      char last = out.back();
      bool no_space_before = op && (x == "," || x == ")" || x == "]" || x == "}" || x == "." || x == ":" || x == "(" ||
                                    x == "[" || x == "=");
      bool after_open = last == '(' || last == '[' || last == '{' || last == '.' || last == '*' || last == '=';
      if (op && x == "|") no_space_before = false;
      if (!no_space_before && !after_open) out.push_back(' ');
      if (op && x == "|" && last != ' ') {
      }
    }
    out += x;
    if (op && (x == "," || x == ":")) out.push_back(' ');
    if (op && x == "|") out.push_back(' ');
  }
  // Collapse double spaces introduced by the rules above.
  std::string clean;
  for (char c : out) {
    if (c == ' ' && !clean.empty() && clean.back() == ' ') continue;
    clean.push_back(c);
  }
  while (!clean.empty() && clean.back() == ' ') clean.pop_back();
  return clean;
}

class Parser {
 public:
  explicit Parser(const std::vector<Token>& tokens, std::vector<NameEvent>* events = nullptr)
      : t_(tokens), events_(events) {}

  std::unique_ptr<Node> ParseModule() {
    auto module = std::make_unique<Node>();
    module->kind = Node::kModule;
    ParseBlock(*module, /*top=*/true);
    return module;
  }

 private:
  std::vector<Token> NextLine() {
    std::vector<Token> line;
    while (t_[i_].kind != Tok::kNewline && t_[i_].kind != Tok::kEnd) {
      if (t_[i_].kind == Tok::kIndent || t_[i_].kind == Tok::kDedent) throw SyntaxError{};
      line.push_back(t_[i_++]);
    }
    if (t_[i_].kind == Tok::kNewline) ++i_;
    CheckLine(line);
    return line;
  }

  // Statements of one block into `parent`; the first statement may be its docstring.
  void ParseBlock(Node& parent, bool top) {
    bool first = true;
    Node* if_chain = nullptr;   // the innermost If of an if/elif chain, for elif/else
    Node* loop_or_try = nullptr;
    while (true) {
      Tok k = t_[i_].kind;
      if (k == Tok::kEnd) {
        if (!top) throw SyntaxError{};
        return;
      }
      if (k == Tok::kDedent) {
        if (top) throw SyntaxError{};
        ++i_;
        return;
      }
      if (k == Tok::kIndent) throw SyntaxError{};  // unexpected indent
      std::vector<Token> line = NextLine();
      if (line.empty()) continue;
      if (first && (parent.kind == Node::kModule || parent.kind == Node::kDef)) {
        parent.docstring = StringValue(FirstSimpleStatement(line, 0));
        parent.docstring_checked = true;
      }
      first = false;
      std::string_view head = line[0].text;
      bool is_async = line[0].kind == Tok::kName && head == "async" && line.size() > 1;
      std::string_view keyword = is_async ? line[1].text : head;
      size_t colon = HeaderColon(line);
      auto compound = [&](Node& node) {
        if (colon == std::string::npos) throw SyntaxError{};
        ParseSuite(node, line, colon);
      };
      if (line[0].kind != Tok::kName) {
        if (line[0].kind == Tok::kOp && line[0].text == "@" && line.size() > 1) {
          pending_property_ = pending_property_ || line[1].text.find("property") != std::string_view::npos ||
                              (line.size() > 3 && line[2].text == "." && (line[3].text == "setter" || line[3].text == "getter"));
          continue;  // decorators do not end an if/try chain's meaning, but none follows them
        }
        if_chain = loop_or_try = nullptr;
        continue;
      }
      if (keyword == "def" || keyword == "class") {
        auto node = std::make_unique<Node>();
        node->kind = Node::kDef;
        node->is_class = keyword == "class";
        size_t name_at = is_async ? 2 : 1;
        if (name_at >= line.size() || line[name_at].kind != Tok::kName) throw SyntaxError{};
        node->name = std::string(line[name_at].text);
        node->is_property = pending_property_ && !node->is_class;
        pending_property_ = false;
        if (!node->is_class) Signature(*node, line, name_at + 1, colon);
        if (node->is_class && name_at + 1 < line.size() && line[name_at + 1].text == "(" && colon != std::string::npos) {
          node->bases = JoinTokens(line, name_at + 2, colon - 2);
        }
        if (events_) events_->push_back({node.get(), "", scopes_});
        scopes_.push_back(node.get());
        compound(*node);
        scopes_.pop_back();
        parent.children.push_back(std::move(node));
        if_chain = loop_or_try = nullptr;
      } else if (keyword == "if" || keyword == "for" || keyword == "while" || keyword == "try" || keyword == "with" ||
                 (keyword == "match" && colon == line.size())) {
        auto node = std::make_unique<Node>();
        compound(*node);
        Node* raw = node.get();
        parent.children.push_back(std::move(node));
        if_chain = keyword == "if" ? raw : nullptr;
        loop_or_try = keyword == "if" || keyword == "with" || keyword == "match" ? nullptr : raw;
        if (keyword == "match") match_ = raw;
      } else if (keyword == "elif") {
        if (!if_chain) throw SyntaxError{};
        auto node = std::make_unique<Node>();
        compound(*node);
        Node* raw = node.get();
        if_chain->children.push_back(std::move(node));
        if_chain = raw;
      } else if (keyword == "else") {
        Node* owner = if_chain ? if_chain : loop_or_try;
        if (!owner) throw SyntaxError{};
        compound(*owner);  // orelse statements are direct children of the If/For/While/Try
        if_chain = loop_or_try = nullptr;
      } else if (keyword == "except" || keyword == "case") {
        Node* owner = keyword == "except" ? loop_or_try : &parent;
        if (!owner) throw SyntaxError{};
        // "except E as name:" at module level defines name.
        if (events_ && scopes_.empty() && keyword == "except" && colon != std::string::npos && colon >= 3 &&
            line[colon - 3].text == "as" && line[colon - 2].kind == Tok::kName) {
          events_->push_back({nullptr, std::string(line[colon - 2].text), {}});
        }
        auto handler = std::make_unique<Node>();  // ExceptHandler / match_case
        compound(*handler);
        owner->children.push_back(std::move(handler));
      } else if (keyword == "finally") {
        if (!loop_or_try) throw SyntaxError{};
        compound(*loop_or_try);
        if_chain = loop_or_try = nullptr;
      } else {
        if (colon != std::string::npos && keyword != "lambda" && colon == line.size() &&
            (keyword == "match" || keyword == "case")) {
          throw SyntaxError{};
        }
        if (events_ && scopes_.empty()) RecordAssignments(line);
        if_chain = loop_or_try = nullptr;
      }
    }
  }

  // The body after a header: the rest of the line, or an indented block.
  void ParseSuite(Node& node, const std::vector<Token>& line, size_t colon) {
    if (colon < line.size()) {
      if (node.kind == Node::kDef) {
        node.docstring = StringValue(FirstSimpleStatement(line, colon));
        node.docstring_checked = true;
      }
      return;
    }
    if (t_[i_].kind != Tok::kIndent) throw SyntaxError{};  // expected an indented block
    ++i_;
    ParseBlock(node, false);
  }

  // Module-level assignment targets: "a = ...", "a, b = ...", "a: T = ...", "a += ...".
  void RecordAssignments(const std::vector<Token>& line) {
    if (line[0].text == "import" || line[0].text == "from" || line[0].text == "global") return;
    int depth = 0;
    size_t start = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      const Token& t = line[i];
      if (t.kind == Tok::kOp && (t.text == "(" || t.text == "[" || t.text == "{")) ++depth;
      if (t.kind == Tok::kOp && (t.text == ")" || t.text == "]" || t.text == "}")) --depth;
      if (depth != 0 || t.kind != Tok::kOp) continue;
      bool assign = t.text == "=" || (t.text.size() >= 2 && t.text.back() == '=' && t.text != "==" && t.text != "<=" &&
                                      t.text != ">=" && t.text != "!=");
      bool annotation = t.text == ":";
      if (!assign && !annotation) continue;
      // Names of the target list between `start` and here (not attributes or subscripts).
      for (size_t k = start; k < i; ++k) {
        const Token& n = line[k];
        bool attribute = k > start && line[k - 1].kind == Tok::kOp && line[k - 1].text == ".";
        bool called = k + 1 < i && line[k + 1].kind == Tok::kOp && (line[k + 1].text == "." || line[k + 1].text == "[" || line[k + 1].text == "(");
        if (n.kind == Tok::kName && !Keywords().count(n.text) && !attribute && !called) {
          events_->push_back({nullptr, std::string(n.text), {}});
        }
      }
      if (annotation) return;  // "a: T = value" defines only a
      start = i + 1;
    }
  }

  void Signature(Node& node, const std::vector<Token>& line, size_t open, size_t colon) {
    if (open >= line.size() || line[open].text != "(" || colon == std::string::npos) return;
    int depth = 0;
    size_t close = open;
    for (size_t i = open; i < line.size(); ++i) {
      if (line[i].kind == Tok::kOp && (line[i].text == "(" || line[i].text == "[" || line[i].text == "{")) ++depth;
      if (line[i].kind == Tok::kOp && (line[i].text == ")" || line[i].text == "]" || line[i].text == "}")) {
        if (--depth == 0) {
          close = i;
          break;
        }
      }
    }
    // Parameters split at top-level commas; a trailing comma is dropped. jedi prints each as
    // name[: annotation][=default], the annotation and default as written in the source.
    auto span = [&](size_t from, size_t to) -> std::string {
      if (from >= to) return "";
      const char* begin = line[from].text.data();
      const char* end = line[to - 1].text.data() + line[to - 1].text.size();
      return std::string(begin, end);
    };
    std::vector<std::string> params;
    size_t start = open + 1;
    depth = 0;
    for (size_t i = open + 1; i <= close; ++i) {
      const Token& t = line[i];
      bool end = i == close;
      if (!end && t.kind == Tok::kOp && (t.text == "(" || t.text == "[" || t.text == "{")) ++depth;
      if (!end && t.kind == Tok::kOp && (t.text == ")" || t.text == "]" || t.text == "}")) --depth;
      if (end || (depth == 0 && t.kind == Tok::kOp && t.text == ",")) {
        if (i > start) {
          size_t colon_at = std::string::npos, equals_at = std::string::npos;
          int d = 0;
          for (size_t k = start; k < i; ++k) {
            const Token& x = line[k];
            if (x.kind == Tok::kOp && (x.text == "(" || x.text == "[" || x.text == "{")) ++d;
            if (x.kind == Tok::kOp && (x.text == ")" || x.text == "]" || x.text == "}")) --d;
            if (d == 0 && x.kind == Tok::kOp && x.text == ":" && colon_at == std::string::npos) colon_at = k;
            if (d == 0 && x.kind == Tok::kOp && x.text == "=" && equals_at == std::string::npos) equals_at = k;
          }
          size_t name_end = std::min({colon_at, equals_at, i});
          std::string param;
          for (size_t k = start; k < name_end; ++k) param += line[k].text;
          if (colon_at != std::string::npos) param += ": " + span(colon_at + 1, equals_at != std::string::npos ? equals_at : i);
          if (equals_at != std::string::npos) param += "=" + span(equals_at + 1, i);
          params.push_back(param);
        }
        start = i + 1;
      }
    }
    for (size_t i = 0; i < params.size(); ++i) node.params += (i ? ", " : "") + params[i];
    if (close + 1 < line.size() && line[close + 1].text == "->") {
      const char* begin = line[close + 2].text.data();
      const char* end = line[colon - 2].text.data() + line[colon - 2].text.size();
      if (close + 2 <= colon - 2) node.returns = " -> " + std::string(begin, end);
    }
  }

  const std::vector<Token>& t_;
  size_t i_ = 0;
  Node* match_ = nullptr;
  std::vector<NameEvent>* events_ = nullptr;
  std::vector<const Node*> scopes_;
  bool pending_property_ = false;
};

}  // namespace

std::string CleanDoc(std::string_view doc) {
  // expandtabs(8), then split on "\n".
  std::vector<std::string> lines;
  std::string current;
  size_t column = 0;
  for (size_t i = 0; i < doc.size();) {
    size_t start = i;
    char32_t cp = text::NextCodePoint(doc, i);
    if (cp == '\n') {
      lines.push_back(std::move(current));
      current.clear();
      column = 0;
    } else if (cp == '\t') {
      size_t spaces = 8 - column % 8;
      current.append(spaces, ' ');
      column += spaces;
    } else {
      current.append(doc.substr(start, i - start));
      column = cp == '\r' ? 0 : column + 1;
    }
  }
  lines.push_back(std::move(current));
  auto code_points = [](std::string_view s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  };
  size_t margin = SIZE_MAX;
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t content = code_points(text::PythonLStrip(lines[i]));
    if (content) margin = std::min(margin, code_points(lines[i]) - content);
  }
  if (!lines.empty()) lines[0] = std::string(text::PythonLStrip(lines[0]));
  if (margin != SIZE_MAX) {
    for (size_t i = 1; i < lines.size(); ++i) {
      size_t pos = 0, n = 0;
      while (pos < lines[i].size() && n < margin) {
        text::NextCodePoint(lines[i], pos);
        ++n;
      }
      lines[i] = lines[i].substr(pos);
    }
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  size_t first = 0;
  while (first < lines.size() && lines[first].empty()) ++first;
  std::string out;
  for (size_t i = first; i < lines.size(); ++i) {
    if (i > first) out += '\n';
    out += lines[i];
  }
  return out;
}

PythonDocstrings ExtractPythonDocstrings(std::string_view source) {
  PythonDocstrings result;
  if (source.substr(0, 3) == "\xEF\xBB\xBF") return result;  // CPython rejects U+FEFF in str source
  try {
    auto tokens = Tokenize(source);
    auto module = Parser(tokens).ParseModule();
    if (module->docstring) result.module_docstring = CleanDoc(*module->docstring);
    // ast.walk: breadth-first over the statement tree.
    std::deque<const Node*> queue = {module.get()};
    while (!queue.empty()) {
      const Node* n = queue.front();
      queue.pop_front();
      if (n->kind == Node::kDef) {
        result.definitions.push_back({n->name, n->docstring ? std::optional<std::string>(CleanDoc(*n->docstring)) : std::nullopt});
      }
      for (const auto& c : n->children) queue.push_back(c.get());
    }
    result.parsed = true;
  } catch (const SyntaxError&) {
    result = PythonDocstrings{};
  } catch (const std::exception&) {
    result = PythonDocstrings{};
  }
  return result;
}

PythonNames ExtractPythonNames(std::string_view source, const std::string& module_name) {
  PythonNames result;
  if (source.substr(0, 3) == "\xEF\xBB\xBF") source.remove_prefix(3);
  struct Lenient {
    Lenient() { g_lenient = true; }
    ~Lenient() { g_lenient = false; }
  } lenient;
  try {
    auto tokens = Tokenize(source);
    std::vector<NameEvent> events;
    auto module = Parser(tokens, &events).ParseModule();
    if (module->docstring) result.module_docstring = CleanDoc(*module->docstring);
    for (const auto& e : events) {
      PythonName name;
      name.full_name = module_name;
      for (const Node* scope : e.scopes) name.full_name += "." + scope->name;
      if (!e.def) {
        name.full_name += "." + e.variable;
        result.names.push_back(std::move(name));
        continue;
      }
      const Node& d = *e.def;
      name.full_name += "." + d.name;
      std::string signature;
      if (d.is_class) {
        // The class's call signature: its __init__ without the first parameter.
        std::string params;
        for (const auto& child : d.children) {
          if (child->kind == Node::kDef && !child->is_class && child->name == "__init__") {
            params = child->params;
            size_t comma = params.find(", ");
            params = comma == std::string::npos ? "" : params.substr(comma + 2);
          }
        }
        // Without an __init__, exception classes take BaseException's signature from typeshed.
        bool has_init = false;
        for (const auto& child : d.children) has_init = has_init || (child->kind == Node::kDef && child->name == "__init__");
        auto ends_with = [&](std::string_view suffix) {
          return d.bases.size() >= suffix.size() && d.bases.compare(d.bases.size() - suffix.size(), suffix.size(), suffix) == 0;
        };
        if (!has_init && (ends_with("Error") || ends_with("Exception") || ends_with("Warning"))) params = "*args: object";
        signature = d.name + "(" + params + ")";
      } else {
        signature = d.name + "(" + d.params + ")" + d.returns;
      }
      std::string doc = d.docstring ? CleanDoc(*d.docstring) : "";
      if (d.is_property) {
        name.docstring = doc;  // jedi shows a property's docstring alone
      } else {
        name.docstring = signature;
        if (!doc.empty()) name.docstring += "\n\n" + doc;
      }
      result.names.push_back(std::move(name));
    }
    result.parsed = true;
  } catch (const SyntaxError&) {
    result = PythonNames{};
  } catch (const std::exception&) {
    result = PythonNames{};
  }
  return result;
}

std::string JediModuleName(std::string_view path, const std::function<bool(const std::string&)>& is_project_root) {
  std::string p(path);
  std::string dir = p.substr(0, p.rfind('/') == std::string::npos ? 0 : p.rfind('/'));
  std::string root;
  while (!dir.empty()) {
    if (is_project_root(dir)) {
      root = dir + "/";
      break;
    }
    size_t slash = dir.rfind('/');
    dir = slash == std::string::npos ? "" : dir.substr(0, slash);
  }
  std::string rel = p.substr(root.size());
  if (rel.size() > 3 && rel.compare(rel.size() - 3, 3, ".py") == 0) rel.resize(rel.size() - 3);
  if (rel == "__init__") rel.clear();
  if (rel.size() > 9 && rel.compare(rel.size() - 9, 9, "/__init__") == 0) rel.resize(rel.size() - 9);
  for (char& c : rel) {
    if (c == '/') c = '.';
  }
  return rel;
}

std::string JediDocsText(std::string_view path, std::string_view source, const std::string& module_name,
                         bool* fell_back) {
  std::string text = std::string(path) + "\n";
  PythonNames names = ExtractPythonNames(source, module_name);
  if (fell_back) *fell_back = !names.parsed;
  if (!names.parsed) return text + std::string(source);
  text += module_name + "\n";
  if (names.module_docstring && !names.module_docstring->empty()) text += *names.module_docstring + "\n\n";
  for (const auto& n : names.names) {
    text += n.full_name + "\n";
    if (!n.docstring.empty()) text += n.docstring + "\n\n";
  }
  return text;
}

std::string DocumentationText(std::string_view path, std::string_view source, bool* fell_back) {
  std::string text = std::string(path) + "\n";
  PythonDocstrings docs = ExtractPythonDocstrings(source);
  if (fell_back) *fell_back = !docs.parsed;
  if (!docs.parsed) return text + std::string(source);
  if (docs.module_docstring && !docs.module_docstring->empty()) text += *docs.module_docstring;
  for (const auto& d : docs.definitions) {
    if (d.docstring && !d.docstring->empty()) text += "\n\n" + d.name + "\n" + *d.docstring;
  }
  return text;
}

}  // namespace sweinfer::retrieval
