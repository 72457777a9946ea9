#define PCRE2_CODE_UNIT_WIDTH 8
#include "text/py_regex.h"

#include <pcre2.h>

#include "util/error.h"

namespace sweinfer::text {

namespace {

// Python's str.isspace() set, as a PCRE2 class body.
constexpr std::string_view kPySpace =
    "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}"
    "\\x{202f}\\x{205f}\\x{3000}";
constexpr std::string_view kPyWord = "\\p{L}\\p{N}_";
constexpr std::string_view kPyDigit = "\\p{Nd}";

// Rewrites \s \w \d (inside and outside classes) and \Z to their PCRE2 equivalents.
std::string TranslatePattern(std::string_view p) {
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      char n = p[++i];
      std::string_view body;
      if (n == 's') body = kPySpace;
      if (n == 'w') body = kPyWord;
      if (n == 'd') body = kPyDigit;
      if (!body.empty()) {
        if (in_class) {
          out += body;
        } else {
          out += "[";
          out += body;
          out += "]";
        }
      } else if (n == 'Z' && !in_class) {
        out += "\\z";
      } else {
        out.push_back('\\');
        out.push_back(n);
      }
      continue;
    }
    if (c == '[' && !in_class) {
      in_class = true;
      out.push_back(c);
      // A ']' right after '[' or '[^' is literal.
      if (i + 1 < p.size() && p[i + 1] == '^') out.push_back(p[++i]);
      if (i + 1 < p.size() && p[i + 1] == ']') {
        out += "\\]";
        ++i;
      }
      continue;
    }
    if (c == ']' && in_class) in_class = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

struct PyRegex::Impl {
  pcre2_code* code = nullptr;
  uint32_t capture_count = 0;
};

PyRegex::PyRegex(std::string_view python_pattern, int flags) : impl_(std::make_unique<Impl>()) {
  std::string pattern = TranslatePattern(python_pattern);
  uint32_t options = PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK;
  if (flags & kDotAll) options |= PCRE2_DOTALL;
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  // Python's '.' and '$' know only "\n" as a line end.
  pcre2_compile_context* context = pcre2_compile_context_create(nullptr);
  pcre2_set_newline(context, PCRE2_NEWLINE_LF);
  impl_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options,
                              &error_code, &error_offset, context);
  pcre2_compile_context_free(context);
  if (!impl_->code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error_code, message, sizeof message);
    throw Error("bad regular expression '" + pattern + "': " + reinterpret_cast<char*>(message));
  }
  pcre2_jit_compile(impl_->code, PCRE2_JIT_COMPLETE);
  pcre2_pattern_info(impl_->code, PCRE2_INFO_CAPTURECOUNT, &impl_->capture_count);
}

PyRegex::~PyRegex() {
  if (impl_ && impl_->code) pcre2_code_free(impl_->code);
}

std::optional<RegexMatch> PyRegex::Run(std::string_view subject, size_t start, bool anchored) const {
  pcre2_match_data* data = pcre2_match_data_create_from_pattern(impl_->code, nullptr);
  // Subjects are valid UTF-8 by contract (inputs are decoded or replaced before matching).
  int rc = pcre2_match(impl_->code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), start,
                       (anchored ? PCRE2_ANCHORED : 0) | PCRE2_NO_UTF_CHECK, data, nullptr);
  if (rc < 0) {
    pcre2_match_data_free(data);
    if (rc == PCRE2_ERROR_NOMATCH) return std::nullopt;
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(rc, message, sizeof message);
    throw Error(std::string("regular expression match failed: ") + reinterpret_cast<char*>(message));
  }
  PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data);
  RegexMatch match;
  match.begin = ovector[0];
  match.end = ovector[1];
  for (uint32_t g = 1; g <= impl_->capture_count; ++g) {
    if (static_cast<int>(g) < rc && ovector[2 * g] != PCRE2_UNSET) {
      match.groups.emplace_back(subject.substr(ovector[2 * g], ovector[2 * g + 1] - ovector[2 * g]));
    } else {
      match.groups.emplace_back(std::nullopt);
    }
  }
  pcre2_match_data_free(data);
  return match;
}

std::optional<RegexMatch> PyRegex::Match(std::string_view subject, size_t start) const {
  return Run(subject, start, true);
}

std::optional<RegexMatch> PyRegex::Search(std::string_view subject, size_t start) const {
  return Run(subject, start, false);
}

std::vector<RegexMatch> PyRegex::FindAll(std::string_view subject) const {
  std::vector<RegexMatch> matches;
  size_t pos = 0;
  while (pos <= subject.size()) {
    auto m = Run(subject, pos, false);
    if (!m) break;
    size_t next = m->end;
    if (m->end == m->begin) {
      // Empty match: step one code point forward, as Python does.
      if (next >= subject.size()) {
        next = subject.size() + 1;
      } else {
        do {
          ++next;
        } while (next < subject.size() && (static_cast<unsigned char>(subject[next]) & 0xC0) == 0x80);
      }
    }
    matches.push_back(std::move(*m));
    pos = next;
  }
  return matches;
}

}  // namespace sweinfer::text
