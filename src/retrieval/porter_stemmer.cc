#include "retrieval/porter_stemmer.h"

#include <string_view>

namespace sweinfer::retrieval {

namespace {

// State of one stemming run; member names follow the reference implementation.
class Stemmer {
 public:
  explicit Stemmer(std::u16string& word) : b_(word) {}

  void Run() {
    k_ = static_cast<int>(b_.size()) - 1;
    k0_ = 0;
    if (k_ > k0_ + 1) {
      Step1();
      Step2();
      Step3();
      Step4();
      Step5();
      Step6();
    }
    b_.resize(k_ + 1);
  }

 private:
  bool Cons(int i) const {
    switch (b_[i]) {
      case u'a': case u'e': case u'i': case u'o': case u'u': return false;
      case u'y': return i == k0_ ? true : !Cons(i - 1);
      default: return true;
    }
  }
  int M() const {
    int n = 0, i = k0_;
    while (true) {
      if (i > j_) return n;
      if (!Cons(i)) break;
      ++i;
    }
    ++i;
    while (true) {
      while (true) {
        if (i > j_) return n;
        if (Cons(i)) break;
        ++i;
      }
      ++i;
      ++n;
      while (true) {
        if (i > j_) return n;
        if (!Cons(i)) break;
        ++i;
      }
      ++i;
    }
  }
  bool VowelInStem() const {
    for (int i = k0_; i <= j_; ++i) {
      if (!Cons(i)) return true;
    }
    return false;
  }
  bool DoubleC(int j) const { return j >= k0_ + 1 && b_[j] == b_[j - 1] && Cons(j); }
  bool Cvc(int i) const {
    if (i < k0_ + 2 || !Cons(i) || Cons(i - 1) || !Cons(i - 2)) return false;
    char16_t ch = b_[i];
    return !(ch == u'w' || ch == u'x' || ch == u'y');
  }
  bool Ends(std::u16string_view s) {
    int l = static_cast<int>(s.size());
    int o = k_ - l + 1;
    if (o < k0_) return false;
    for (int i = 0; i < l; ++i) {
      if (b_[o + i] != s[i]) return false;
    }
    j_ = k_ - l;
    return true;
  }
  void SetTo(std::u16string_view s) {
    int l = static_cast<int>(s.size());
    int o = j_ + 1;
    if (static_cast<int>(b_.size()) < o + l) b_.resize(o + l);
    for (int i = 0; i < l; ++i) b_[o + i] = s[i];
    k_ = j_ + l;
  }
  void R(std::u16string_view s) {
    if (M() > 0) SetTo(s);
  }

  void Step1() {
    if (b_[k_] == u's') {
      if (Ends(u"sses")) {
        k_ -= 2;
      } else if (Ends(u"ies")) {
        SetTo(u"i");
      } else if (b_[k_ - 1] != u's') {
        --k_;
      }
    }
    if (Ends(u"eed")) {
      if (M() > 0) --k_;
    } else if ((Ends(u"ed") || Ends(u"ing")) && VowelInStem()) {
      k_ = j_;
      if (Ends(u"at")) {
        SetTo(u"ate");
      } else if (Ends(u"bl")) {
        SetTo(u"ble");
      } else if (Ends(u"iz")) {
        SetTo(u"ize");
      } else if (DoubleC(k_)) {
        char16_t ch = b_[k_--];
        if (ch == u'l' || ch == u's' || ch == u'z') ++k_;
      } else if (M() == 1 && Cvc(k_)) {
        SetTo(u"e");
      }
    }
  }
  void Step2() {
    if (Ends(u"y") && VowelInStem()) b_[k_] = u'i';
  }
  void Step3() {
    if (k_ == k0_) return;
    switch (b_[k_ - 1]) {
      case u'a':
        if (Ends(u"ational")) { R(u"ate"); break; }
        if (Ends(u"tional")) { R(u"tion"); break; }
        break;
      case u'c':
        if (Ends(u"enci")) { R(u"ence"); break; }
        if (Ends(u"anci")) { R(u"ance"); break; }
        break;
      case u'e':
        if (Ends(u"izer")) { R(u"ize"); break; }
        break;
      case u'l':
        if (Ends(u"bli")) { R(u"ble"); break; }
        if (Ends(u"alli")) { R(u"al"); break; }
        if (Ends(u"entli")) { R(u"ent"); break; }
        if (Ends(u"eli")) { R(u"e"); break; }
        if (Ends(u"ousli")) { R(u"ous"); break; }
        break;
      case u'o':
        if (Ends(u"ization")) { R(u"ize"); break; }
        if (Ends(u"ation")) { R(u"ate"); break; }
        if (Ends(u"ator")) { R(u"ate"); break; }
        break;
      case u's':
        if (Ends(u"alism")) { R(u"al"); break; }
        if (Ends(u"iveness")) { R(u"ive"); break; }
        if (Ends(u"fulness")) { R(u"ful"); break; }
        if (Ends(u"ousness")) { R(u"ous"); break; }
        break;
      case u't':
        if (Ends(u"aliti")) { R(u"al"); break; }
        if (Ends(u"iviti")) { R(u"ive"); break; }
        if (Ends(u"biliti")) { R(u"ble"); break; }
        break;
      case u'g':
        if (Ends(u"logi")) { R(u"log"); break; }
        break;
      default: break;
    }
  }
  void Step4() {
    switch (b_[k_]) {
      case u'e':
        if (Ends(u"icate")) { R(u"ic"); break; }
        if (Ends(u"ative")) { R(u""); break; }
        if (Ends(u"alize")) { R(u"al"); break; }
        break;
      case u'i':
        if (Ends(u"iciti")) { R(u"ic"); break; }
        break;
      case u'l':
        if (Ends(u"ical")) { R(u"ic"); break; }
        if (Ends(u"ful")) { R(u""); break; }
        break;
      case u's':
        if (Ends(u"ness")) { R(u""); break; }
        break;
      default: break;
    }
  }
  void Step5() {
    if (k_ == k0_) return;
    switch (b_[k_ - 1]) {
      case u'a':
        if (Ends(u"al")) break;
        return;
      case u'c':
        if (Ends(u"ance")) break;
        if (Ends(u"ence")) break;
        return;
      case u'e':
        if (Ends(u"er")) break;
        return;
      case u'i':
        if (Ends(u"ic")) break;
        return;
      case u'l':
        if (Ends(u"able")) break;
        if (Ends(u"ible")) break;
        return;
      case u'n':
        if (Ends(u"ant")) break;
        if (Ends(u"ement")) break;
        if (Ends(u"ment")) break;
        if (Ends(u"ent")) break;
        return;
      case u'o':
        if (Ends(u"ion") && j_ >= 0 && (b_[j_] == u's' || b_[j_] == u't')) break;
        if (Ends(u"ou")) break;
        return;
      case u's':
        if (Ends(u"ism")) break;
        return;
      case u't':
        if (Ends(u"ate")) break;
        if (Ends(u"iti")) break;
        return;
      case u'u':
        if (Ends(u"ous")) break;
        return;
      case u'v':
        if (Ends(u"ive")) break;
        return;
      case u'z':
        if (Ends(u"ize")) break;
        return;
      default: return;
    }
    if (M() > 1) k_ = j_;
  }
  void Step6() {
    j_ = k_;
    if (b_[k_] == u'e') {
      int a = M();
      if (a > 1 || (a == 1 && !Cvc(k_ - 1))) --k_;
    }
    if (b_[k_] == u'l' && DoubleC(k_) && M() > 1) --k_;
  }

  std::u16string& b_;
  int k_ = 0, k0_ = 0, j_ = 0;
};

}  // namespace

void PorterStem(std::u16string& word) { Stemmer(word).Run(); }

}  // namespace sweinfer::retrieval
