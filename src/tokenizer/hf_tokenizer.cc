#include "tokenizer/hf_tokenizer.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <mutex>
#include <queue>
#include <unordered_map>

#include "dataset/jsonl.h"
#include "text/py_regex.h"
#include "text/python_str.h"
#include "util/error.h"

namespace sweinfer::tokenizer {

namespace {

using dataset::Record;

// GPT-2's byte <-> printable character table used by ByteLevel.
const std::vector<std::string>& ByteToUnicode() {
  static const std::vector<std::string> table = [] {
    std::vector<std::string> t(256);
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      char32_t cp = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + n++);
      text::AppendUtf8(t[b], cp);
    }
    return t;
  }();
  return table;
}

std::string NormalizeIcu(const std::string& s, bool compatibility) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* n =
      compatibility ? icu::Normalizer2::getNFKCInstance(status) : icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) throw Error("ICU normalizer unavailable");
  icu::UnicodeString out = n->normalize(icu::UnicodeString::fromUTF8(s), status);
  std::string utf8;
  out.toUTF8String(utf8);
  return utf8;
}

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  if (from.empty()) return s;
  for (size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size()) s.replace(at, from.size(), to);
  return s;
}

std::vector<std::string> SplitCodePoints(std::string_view s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t start = pos;
    text::NextCodePoint(s, pos);
    out.emplace_back(s.substr(start, pos - start));
  }
  return out;
}

class HfTokenizer : public Tokenizer {
 public:
  HfTokenizer(const Record& config, const std::string& path, const std::string& name) : path_(path), name_(name) {
    const Record& model = config.at("model");
    std::string type = model.value("type", "");
    byte_fallback_ = model.value("byte_fallback", false);
    if (type == "BPE") {
      LoadBpe(model);
    } else if (type == "Unigram") {
      LoadUnigram(model);
    } else {
      Fail("model type '" + type + "'");
    }
    if (config.contains("normalizer") && !config["normalizer"].is_null()) normalizer_ = config["normalizer"];
    if (config.contains("pre_tokenizer") && !config["pre_tokenizer"].is_null()) pre_tokenizer_ = config["pre_tokenizer"];
    CheckNormalizer(normalizer_);
    CheckPreTokenizer(pre_tokenizer_);
    if (config.contains("added_tokens")) {
      for (const auto& t : config["added_tokens"]) {
        added_.push_back({t.value("content", ""), t.value("id", int64_t{0}), t.value("special", false)});
        if (t.value("content", "") == "</s>" || t.value("content", "") == "<|end_of_text|>" ||
            t.value("content", "") == "<|eot_id|>") {
          if (eos_.empty()) eos_ = t.value("content", "");
        }
      }
    }
    for (const auto& [token, id] : vocab_) {
      if (id >= static_cast<int64_t>(id_to_token_.size())) id_to_token_.resize(id + 1);
      id_to_token_[id] = token;
    }
    for (const auto& a : added_) {
      if (a.id >= static_cast<int64_t>(id_to_token_.size())) id_to_token_.resize(a.id + 1);
      id_to_token_[a.id] = a.content;
    }
    byte_level_ = UsesByteLevel(pre_tokenizer_);
  }

  std::vector<int64_t> Encode(std::string_view text) const override { return EncodeImpl(text, false); }
  std::vector<int64_t> EncodeWithSpecials(std::string_view text) const override { return EncodeImpl(text, true); }

  std::string Decode(const std::vector<int64_t>& ids) const override {
    std::string joined;
    std::string pending_bytes;
    for (int64_t id : ids) {
      if (id < 0 || id >= static_cast<int64_t>(id_to_token_.size())) throw Error("token id " + std::to_string(id) + " is not in " + path_);
      const std::string& t = id_to_token_[id];
      if (byte_fallback_ && t.size() == 6 && t.rfind("<0x", 0) == 0 && t.back() == '>') {
        pending_bytes.push_back(static_cast<char>(std::stoi(t.substr(3, 2), nullptr, 16)));
        continue;
      }
      joined += pending_bytes;
      pending_bytes.clear();
      joined += t;
    }
    joined += pending_bytes;
    if (byte_level_) {
      std::string bytes;
      static const std::unordered_map<std::string, unsigned char> reverse = [] {
        std::unordered_map<std::string, unsigned char> m;
        for (int b = 0; b < 256; ++b) m[ByteToUnicode()[b]] = static_cast<unsigned char>(b);
        return m;
      }();
      for (const auto& cp : SplitCodePoints(joined)) {
        auto it = reverse.find(cp);
        bytes += it == reverse.end() ? cp : std::string(1, static_cast<char>(it->second));
      }
      return bytes;
    }
    std::string out = ReplaceAll(joined, "\xe2\x96\x81", " ");  // ▁ -> space
    if (metaspace_prefix_ && !out.empty() && out[0] == ' ') out.erase(0, 1);
    return out;
  }
  std::string EosToken() const override { return eos_; }
  const std::string& name() const override { return name_; }

 private:
  struct Added {
    std::string content;
    int64_t id;
    bool special;
  };

  [[noreturn]] void Fail(const std::string& what) const {
    throw Error(path_ + ": unsupported tokenizer.json component: " + what);
  }

  void LoadBpe(const Record& model) {
    bpe_ = true;
    for (auto it = model.at("vocab").begin(); it != model.at("vocab").end(); ++it) vocab_[it.key()] = it.value().get<int64_t>();
    int64_t rank = 0;
    for (const auto& m : model.at("merges")) {
      std::string left, right;
      if (m.is_string()) {
        std::string s = m.get<std::string>();
        size_t space = s.find(' ');
        if (space == std::string::npos) Fail("merge without a space: " + s);
        left = s.substr(0, space);
        right = s.substr(space + 1);
      } else {
        left = m.at(0).get<std::string>();
        right = m.at(1).get<std::string>();
      }
      merges_[left + '\x01' + right] = rank++;
    }
    if (model.contains("unk_token") && model["unk_token"].is_string()) unk_token_ = model["unk_token"].get<std::string>();
    ignore_merges_ = model.value("ignore_merges", false);
  }

  void LoadUnigram(const Record& model) {
    bpe_ = false;
    int64_t id = 0;
    for (const auto& entry : model.at("vocab")) {
      std::string piece = entry.at(0).get<std::string>();
      double score = entry.at(1).get<double>();
      vocab_[piece] = id;
      scores_.push_back(score);
      max_piece_bytes_ = std::max(max_piece_bytes_, piece.size());
      ++id;
    }
    if (model.contains("unk_id") && model["unk_id"].is_number()) unk_id_ = model["unk_id"].get<int64_t>();
    double min_score = 0;
    for (double s : scores_) min_score = std::min(min_score, s);
    unk_score_ = min_score - 10.0;  // sentencepiece's kUnkPenalty
  }

  void CheckNormalizer(const Record& n) const {
    if (n.is_null()) return;
    std::string type = n.value("type", "");
    if (type == "Sequence") {
      for (const auto& inner : n.at("normalizers")) CheckNormalizer(inner);
    } else if (type != "Prepend" && type != "Replace" && type != "NFC" && type != "NFKC" && type != "Lowercase") {
      Fail("normalizer '" + type + "'");
    } else if (type == "Replace" && !n.at("pattern").contains("String")) {
      Fail("regex Replace normalizer");
    }
  }
  void CheckPreTokenizer(const Record& p) const {
    if (p.is_null()) return;
    std::string type = p.value("type", "");
    if (type == "Sequence") {
      for (const auto& inner : p.at("pretokenizers")) CheckPreTokenizer(inner);
    } else if (type == "Split") {
      if (p.value("behavior", "") != "Isolated" || p.value("invert", false)) Fail("Split other than Isolated");
    } else if (type != "Metaspace" && type != "ByteLevel" && type != "Digits") {
      Fail("pre_tokenizer '" + type + "'");
    }
  }
  static bool UsesByteLevel(const Record& p) {
    if (p.is_null()) return false;
    if (p.value("type", "") == "ByteLevel") return true;
    if (p.value("type", "") == "Sequence") {
      for (const auto& inner : p.at("pretokenizers")) {
        if (UsesByteLevel(inner)) return true;
      }
    }
    return false;
  }

  std::string Normalize(std::string s, const Record& n) const {
    if (n.is_null()) return s;
    std::string type = n.value("type", "");
    if (type == "Sequence") {
      for (const auto& inner : n.at("normalizers")) s = Normalize(std::move(s), inner);
      return s;
    }
    if (type == "Prepend") return s.empty() ? s : n.at("prepend").get<std::string>() + s;
    if (type == "Replace") return ReplaceAll(std::move(s), n.at("pattern").at("String"), n.at("content"));
    if (type == "NFC") return NormalizeIcu(s, false);
    if (type == "NFKC") return NormalizeIcu(s, true);
    if (type == "Lowercase") {
      std::string out;
      icu::UnicodeString::fromUTF8(s).toLower().toUTF8String(out);
      return out;
    }
    return s;
  }

  std::vector<std::string> ApplyPreTokenizer(const std::vector<std::string>& pieces, const Record& p, bool first) const {
    if (p.is_null()) return pieces;
    std::string type = p.value("type", "");
    std::vector<std::string> out;
    if (type == "Sequence") {
      std::vector<std::string> current = pieces;
      for (const auto& inner : p.at("pretokenizers")) current = ApplyPreTokenizer(current, inner, first);
      return current;
    }
    if (type == "Metaspace") {
      std::string replacement = p.value("replacement", "\xe2\x96\x81");
      std::string scheme = p.value("prepend_scheme", p.value("add_prefix_space", true) ? "always" : "never");
      bool split = p.value("split", true);
      for (size_t i = 0; i < pieces.size(); ++i) {
        std::string s = ReplaceAll(pieces[i], " ", replacement);
        bool prepend = scheme == "always" || (scheme == "first" && first && i == 0);
        if (prepend && s.rfind(replacement, 0) != 0) s = replacement + s;
        if (!split) {
          out.push_back(s);
          continue;
        }
        // Split before each replacement character (MergedWithNext).
        size_t start = 0;
        for (size_t at = s.find(replacement, 1); at != std::string::npos; at = s.find(replacement, at + 1)) {
          out.push_back(s.substr(start, at - start));
          start = at;
        }
        out.push_back(s.substr(start));
      }
      return out;
    }
    if (type == "ByteLevel") {
      bool prefix = p.value("add_prefix_space", false);
      bool use_regex = p.value("use_regex", true);
      static const text::PyRegex gpt2(R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)");
      for (size_t i = 0; i < pieces.size(); ++i) {
        std::string s = pieces[i];
        if (prefix && first && i == 0 && !s.empty() && s[0] != ' ') s = " " + s;
        std::vector<std::string> parts;
        if (use_regex) {
          for (const auto& m : gpt2.FindAll(s)) parts.push_back(s.substr(m.begin, m.end - m.begin));
        } else {
          parts.push_back(s);
        }
        for (const auto& part : parts) {
          std::string mapped;
          for (unsigned char c : part) mapped += ByteToUnicode()[c];
          out.push_back(mapped);
        }
      }
      return out;
    }
    if (type == "Split") {
      std::string pattern = p.at("pattern").contains("Regex") ? p.at("pattern").at("Regex").get<std::string>()
                                                                : p.at("pattern").at("String").get<std::string>();
      auto regex = RegexFor(pattern, p.at("pattern").contains("Regex"));
      for (const auto& s : pieces) {
        size_t last = 0;
        for (const auto& m : regex->FindAll(s)) {
          if (m.begin > last) out.push_back(s.substr(last, m.begin - last));
          if (m.end > m.begin) out.push_back(s.substr(m.begin, m.end - m.begin));
          last = m.end;
        }
        if (last < s.size()) out.push_back(s.substr(last));
      }
      return out;
    }
    if (type == "Digits") {
      bool individual = p.value("individual_digits", false);
      for (const auto& s : pieces) {
        std::string current;
        bool current_digit = false;
        for (const auto& cp : SplitCodePoints(s)) {
          bool digit = cp.size() == 1 && cp[0] >= '0' && cp[0] <= '9';
          if (!current.empty() && (digit != current_digit || (digit && individual))) {
            out.push_back(current);
            current.clear();
          }
          current += cp;
          current_digit = digit;
        }
        if (!current.empty()) out.push_back(current);
      }
      return out;
    }
    return pieces;
  }

  std::shared_ptr<text::PyRegex> RegexFor(const std::string& pattern, bool is_regex) const {
    std::lock_guard<std::mutex> lock(regex_mutex_);
    auto& slot = regex_cache_[pattern];
    if (!slot) {
      std::string escaped;
      if (!is_regex) {
        for (char c : pattern) {
          if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) escaped.push_back('\\');
          escaped.push_back(c);
        }
      }
      slot = std::make_shared<text::PyRegex>(is_regex ? pattern : escaped);
    }
    return slot;
  }

  void AppendUnknownOrBytes(const std::string& symbol, std::vector<int64_t>& out) const {
    if (byte_fallback_) {
      bool all = true;
      std::vector<int64_t> ids;
      for (unsigned char c : symbol) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", c);
        auto it = vocab_.find(name);
        if (it == vocab_.end()) {
          all = false;
          break;
        }
        ids.push_back(it->second);
      }
      if (all) {
        out.insert(out.end(), ids.begin(), ids.end());
        return;
      }
    }
    if (bpe_ && !unk_token_.empty()) {
      auto it = vocab_.find(unk_token_);
      if (it != vocab_.end()) {
        // fuse_unk: consecutive unknowns become one.
        if (out.empty() || out.back() != it->second) out.push_back(it->second);
        return;
      }
    }
    if (!bpe_ && unk_id_ >= 0) {
      out.push_back(unk_id_);
      return;
    }
    throw Error(path_ + ": cannot encode '" + symbol + "' (no unk token and no byte fallback)");
  }

  void EncodeBpeWord(const std::string& word, std::vector<int64_t>& out) const {
    if (ignore_merges_) {
      auto it = vocab_.find(word);
      if (it != vocab_.end()) {
        out.push_back(it->second);
        return;
      }
    }
    // Merges lowest rank first, leftmost on ties (tokenizers' Word::merge_all), with a heap over a
    // linked list of symbols so long words stay O(n log n).
    struct Symbol {
      size_t start, end;
      int prev, next;
    };
    std::vector<Symbol> sym;
    for (size_t pos = 0; pos < word.size();) {
      size_t start = pos;
      text::NextCodePoint(word, pos);
      int index = static_cast<int>(sym.size());
      sym.push_back({start, pos, index - 1, -1});
      if (index > 0) sym[index - 1].next = index;
    }
    struct Candidate {
      int64_t rank;
      size_t start;
      int left, right;
      size_t left_end, right_end;
      bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : start > o.start; }
    };
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> heap;
    auto consider = [&](int left) {
      if (left < 0 || sym[left].next < 0) return;
      int right = sym[left].next;
      std::string key = word.substr(sym[left].start, sym[left].end - sym[left].start);
      key += '\x01';
      key.append(word, sym[right].start, sym[right].end - sym[right].start);
      auto it = merges_.find(key);
      if (it != merges_.end()) heap.push({it->second, sym[left].start, left, right, sym[left].end, sym[right].end});
    };
    for (int i = 0; i + 1 < static_cast<int>(sym.size()); ++i) consider(i);
    while (!heap.empty()) {
      Candidate c = heap.top();
      heap.pop();
      Symbol& l = sym[c.left];
      if (l.end != c.left_end || l.next != c.right || sym[c.right].end != c.right_end || l.start == l.end) continue;
      Symbol& r = sym[c.right];
      l.end = r.end;
      l.next = r.next;
      if (r.next >= 0) sym[r.next].prev = c.left;
      r.start = r.end = 0;  // dead
      r.next = -1;
      consider(l.prev);
      consider(c.left);
    }
    std::vector<std::string> symbols;
    for (int i = sym.empty() ? -1 : 0; i >= 0; i = sym[i].next) symbols.push_back(word.substr(sym[i].start, sym[i].end - sym[i].start));
    for (const auto& s : symbols) {
      auto it = vocab_.find(s);
      if (it != vocab_.end()) {
        out.push_back(it->second);
      } else {
        AppendUnknownOrBytes(s, out);
      }
    }
  }

  void EncodeUnigramWord(const std::string& word, std::vector<int64_t>& out) const {
    // Viterbi over byte positions at code point boundaries, in double as the tokenizers library
    // does (sentencepiece sums in float, so exact ties may resolve differently there).
    const size_t n = word.size();
    std::vector<double> best(n + 1, -std::numeric_limits<double>::infinity());
    std::vector<size_t> from(n + 1, 0);
    std::vector<int64_t> piece(n + 1, -1);
    best[0] = 0;
    for (size_t i = 0; i < n;) {
      size_t next_cp = i;
      text::NextCodePoint(word, next_cp);
      if (best[i] > -std::numeric_limits<double>::infinity()) {
        bool single_known = false;
        for (size_t len = 1; i + len <= n && len <= max_piece_bytes_; ++len) {
          auto it = vocab_.find(word.substr(i, len));
          if (it == vocab_.end()) continue;
          if (i + len == next_cp) single_known = true;
          double score = best[i] + scores_[it->second];
          if (score > best[i + len]) {
            best[i + len] = score;
            from[i + len] = i;
            piece[i + len] = it->second;
          }
        }
        if (!single_known) {
          double score = best[i] + unk_score_;
          if (score > best[next_cp]) {
            best[next_cp] = score;
            from[next_cp] = i;
            piece[next_cp] = -1;
          }
        }
      }
      i = next_cp;
    }
    std::vector<std::pair<size_t, int64_t>> path;
    for (size_t at = n; at > 0; at = from[at]) path.push_back({from[at], piece[at]});
    std::vector<int64_t> ids;
    for (auto it = path.rbegin(); it != path.rend(); ++it) {
      if (it->second >= 0) {
        out.push_back(it->second);
      } else {
        size_t start = it->first;
        size_t end = start;
        text::NextCodePoint(word, end);
        AppendUnknownOrBytes(word.substr(start, end - start), out);
      }
    }
  }

  void EncodeText(std::string_view raw, bool first, std::vector<int64_t>& out) const {
    if (raw.empty()) return;
    std::string normalized = Normalize(std::string(raw), normalizer_);
    std::vector<std::string> pieces = ApplyPreTokenizer({normalized}, pre_tokenizer_, first);
    for (const auto& p : pieces) {
      if (p.empty()) continue;
      if (bpe_) {
        EncodeBpeWord(p, out);
      } else {
        EncodeUnigramWord(p, out);
      }
    }
  }

  std::vector<int64_t> EncodeImpl(std::string_view raw, bool with_specials) const {
    std::string storage;
    std::string_view input = raw;
    if (text::Utf8Error(raw)) {
      storage = text::Utf8Replace(raw);
      input = storage;
    }
    std::vector<int64_t> out;
    size_t pos = 0;
    bool first = true;
    while (pos < input.size()) {
      size_t best = std::string_view::npos;
      const Added* token = nullptr;
      for (const auto& a : added_) {
        if (a.content.empty() || (a.special && !with_specials)) continue;
        size_t at = input.find(a.content, pos);
        if (at < best || (at == best && token && a.content.size() > token->content.size())) {
          best = at;
          token = &a;
        }
      }
      if (!token) {
        EncodeText(input.substr(pos), first, out);
        break;
      }
      EncodeText(input.substr(pos, best - pos), first, out);
      out.push_back(token->id);
      pos = best + token->content.size();
      first = false;
    }
    return out;
  }

  std::string path_, name_, eos_, unk_token_;
  bool bpe_ = true, byte_fallback_ = false, ignore_merges_ = false, byte_level_ = false, metaspace_prefix_ = true;
  std::unordered_map<std::string, int64_t> vocab_;
  std::unordered_map<std::string, int64_t> merges_;
  std::vector<double> scores_;
  size_t max_piece_bytes_ = 0;
  int64_t unk_id_ = -1;
  double unk_score_ = -10;
  std::vector<std::string> id_to_token_;
  std::vector<Added> added_;
  Record normalizer_ = nullptr, pre_tokenizer_ = nullptr;
  mutable std::mutex regex_mutex_;
  mutable std::unordered_map<std::string, std::shared_ptr<text::PyRegex>> regex_cache_;
};

}  // namespace

std::unique_ptr<Tokenizer> LoadHfTokenizer(const std::string& path, const std::string& name) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open tokenizer file '" + path + "'");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Record config = dataset::ParseRecord(content, path);
  try {
    return std::make_unique<HfTokenizer>(config, path, name);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": malformed tokenizer.json: " + e.what());
  }
}

}  // namespace sweinfer::tokenizer
