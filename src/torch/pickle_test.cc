#include "torch/pickle.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "test_support.h"
#include "torch_files.h"
#include "util/error.h"

namespace sweinfer::torch {
namespace {

using Kind = Value::Kind;
using testing::PickleWriter;

std::string ErrorOf(const std::string& bytes) {
  try {
    Unpickle(bytes, "t.pkl");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Python's own pickler writes the value `expression` in `protocol`: an independent writer of every
// opcode a protocol uses for plain values (frames, memo, MEMOIZE, LONG1, BINFLOAT, SHORT_BINBYTES...).
std::string PythonPickle(const std::string& expression, int protocol) {
  testing::ScratchDir dir;
  const std::string out = dir / "p.pkl";
  const std::string cmd = "python3 -c \"import pickle,sys; v=" + expression + "; open('" + out +
                          "','wb').write(pickle.dumps(v, protocol=" + std::to_string(protocol) + "))\" 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) return "";
  return testing::ReadFile(out);
}

TEST(Pickle, ReadsWhatPythonWritesInProtocols2To5) {
  const std::string expression =
      "(lambda s: {'ints': [0, 1, -1, 255, 256, 65535, 65536, -2**31, 2**31, 2**62, -2**63], 'float': 1.5e-3, "
      "'text': 'h\\u00e9llo', 'long': 'x'*300, 'none': None, "
      "'bools': (True, False), 'nested': [(1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)], 'shared': [s, s], "
      "'empty': ((), [], {})})([5, 6])";
  // Sets have opcodes from protocol 4, bytearrays from 5 (before, Python names builtins as globals,
  // which a weights file may not).
  const std::string byte_strings = "; v.update({'bytes': b'\\x00\\x01', 'big': b'y'*300})";
  const std::string sets = "; v.update({'set': {7}, 'frozen': frozenset([8])})";
  const std::string bytearrays = "; v['ba'] = bytearray(b'z')";
  for (int protocol = 2; protocol <= 5; ++protocol) {
    const std::string bytes =
        PythonPickle(expression + (protocol >= 3 ? byte_strings : "") + (protocol >= 4 ? sets : "") + (protocol >= 5 ? bytearrays : ""), protocol);
    if (bytes.empty()) GTEST_SKIP() << "python3 is not installed";
    Unpickled u = Unpickle(bytes, "python.pkl");
    ASSERT_EQ(u.root->kind, Kind::kDict) << protocol;
    std::map<std::string, ValuePtr> d;
    for (const auto& [k, v] : u.root->entries) d[k->text] = v;
    const std::vector<int64_t> ints = {0, 1, -1, 255, 256, 65535, 65536, -(int64_t{1} << 31), int64_t{1} << 31,
                                       int64_t{1} << 62, INT64_MIN};
    ASSERT_EQ(d["ints"]->items.size(), ints.size());
    for (size_t i = 0; i < ints.size(); ++i) EXPECT_EQ(d["ints"]->items[i]->integer, ints[i]) << protocol << " " << i;
    EXPECT_DOUBLE_EQ(d["float"]->number, 1.5e-3);
    EXPECT_EQ(d["text"]->text, "h\xc3\xa9llo");
    EXPECT_EQ(d["long"]->text, std::string(300, 'x'));
    if (protocol >= 3) {
      EXPECT_EQ(d["bytes"]->kind, Kind::kBytes);
      EXPECT_EQ(d["bytes"]->text, std::string("\0\1", 2));
      EXPECT_EQ(d["big"]->text, std::string(300, 'y'));
    }
    EXPECT_EQ(d["none"]->kind, Kind::kNone);
    EXPECT_TRUE(d["bools"]->items[0]->boolean);
    EXPECT_FALSE(d["bools"]->items[1]->boolean);
    for (size_t i = 0; i < 4; ++i) EXPECT_EQ(d["nested"]->items[i]->items.size(), i + 1);
    // The memo: one list, referenced twice.
    EXPECT_EQ(d["shared"]->items[0].get(), d["shared"]->items[1].get());
    EXPECT_EQ(d["shared"]->items[0]->items[1]->integer, 6);
    EXPECT_EQ(d["empty"]->items.size(), 3u);
    if (protocol >= 4) {
      EXPECT_EQ(d["frozen"]->items.at(0)->integer, 8);
    }
    if (protocol >= 5) {
      EXPECT_EQ(d["ba"]->text, "z");
    }
  }
}

TEST(Pickle, RefusesEveryGlobalOutsideTheWeightsList) {
  for (const auto& [module, name] : std::vector<std::pair<std::string, std::string>>{
           {"os", "system"}, {"builtins", "eval"}, {"subprocess", "Popen"}, {"torch", "load"}, {"numpy.core.multiarray", "_reconstruct"}}) {
    PickleWriter p;
    p.Global(module, name).Mark().Str("echo owned").Tuple().Reduce();
    const std::string error = ErrorOf(p.Finish());
    EXPECT_NE(error.find("global '" + module + "." + name + "' is not allowed in a weights file"), std::string::npos) << error;
  }
  // STACK_GLOBAL (protocol 4) is checked the same way.
  PickleWriter p(4);
  p.Op(0x8c).Raw<uint8_t>(2).bytes() += "os";
  p.Op(0x8c).Raw<uint8_t>(6).bytes() += "system";
  p.Op(0x93);
  EXPECT_NE(ErrorOf(p.Finish()).find("'os.system' is not allowed"), std::string::npos);
  // INST and OBJ call classes without a GLOBAL: refused outright; so are extension codes.
  PickleWriter inst;
  inst.Mark().Op('i').bytes() += "os\nsystem\n";
  EXPECT_NE(ErrorOf(inst.Finish()).find("INST/OBJ"), std::string::npos);
  PickleWriter ext;
  ext.Op(0x82).Raw<uint8_t>(1);
  EXPECT_NE(ErrorOf(ext.Finish()).find("extension registry"), std::string::npos);
  // An allowed storage class is a name for persistent ids, never a callable.
  PickleWriter storage;
  storage.Global("torch", "FloatStorage").Op(')').Reduce();
  EXPECT_NE(ErrorOf(storage.Finish()).find("cannot be called"), std::string::npos);
}

TEST(Pickle, TensorsFromPersistentIds) {
  PickleWriter p;
  p.Global("collections", "OrderedDict").Op(')').Reduce();
  p.Str("w").Tensor("HalfStorage", "0", 12, 2, {2, 5}, {5, 1}).Op('s');
  // _rebuild_parameter wraps a tensor.
  p.Str("p").Global("torch._utils", "_rebuild_parameter").Mark();
  p.Tensor("BFloat16Storage", "1", 4, 0, {4}, {1}).Op(0x88).Global("collections", "OrderedDict").Op(')').Reduce();
  p.Tuple().Reduce().Op('s');
  Unpickled u = Unpickle(p.Finish(), "t.pkl");
  ASSERT_EQ(u.root->entries.size(), 2u);
  const TensorRef& w = u.root->entries[0].second->tensor;
  EXPECT_EQ(w.storage.scalar_type, "float16");
  EXPECT_EQ(w.storage.key, "0");
  EXPECT_EQ(w.storage.numel, 12);
  EXPECT_EQ(w.offset, 2);
  EXPECT_EQ(w.shape, (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(w.stride, (std::vector<int64_t>{5, 1}));
  EXPECT_EQ(u.root->entries[1].second->tensor.storage.scalar_type, "bfloat16");
}

TEST(Pickle, MalformedPicklesAreErrorsNotCrashes) {
  PickleWriter p;
  p.Global("collections", "OrderedDict").Op(')').Reduce().Str("k").Int(5).Op('s');
  const std::string good = p.Finish();
  ASSERT_NO_THROW(Unpickle(good, "t.pkl"));
  for (size_t cut = 0; cut < good.size(); ++cut) {
    EXPECT_THROW(Unpickle(good.substr(0, cut), "t.pkl"), Error) << cut;
  }
  EXPECT_NE(ErrorOf(std::string("\x80\x02h\x05.", 5)).find("never stored"), std::string::npos);
  EXPECT_NE(ErrorOf(std::string("\x80\x02" "0.", 4)).find("underflow"), std::string::npos);
  EXPECT_NE(ErrorOf(std::string("\x80\x09.", 3)).find("newer than 5"), std::string::npos);
  EXPECT_NE(ErrorOf(std::string("\x80\x02\xff.", 4)).find("unknown pickle opcode 0xff"), std::string::npos);
  EXPECT_NE(ErrorOf(std::string("\x80\x02NN.", 5)).find("STOP with 2 values"), std::string::npos);
  // A list that contains itself (GET of its own memo entry, APPEND): read, and freed with the result.
  EXPECT_NO_THROW(Unpickle(std::string("\x80\x02]q\x00h\x00" "a.", 9), "t.pkl"));
  // Deep nesting is not a recursion hazard.
  std::string deep = "\x80\x02N";
  for (int i = 0; i < 200000; ++i) deep += '\x85';
  EXPECT_NO_THROW(Unpickle(deep + ".", "t.pkl"));
}

}  // namespace
}  // namespace sweinfer::torch
