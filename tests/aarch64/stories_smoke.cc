// End-to-end check of the inference engine on another architecture (built by
// scripts/test-aarch64.sh with the cross compiler and run under qemu-user): llama.cpp's own GGUF of
// Karpathy's stories260K, greedy from BOS, must give the ids llama2.c's run.c printed.
// usage: stories_smoke MODEL.gguf EXPECTED_GREEDY.json
#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "llm/cpu_kernels.h"
#include "llm/llama.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s MODEL.gguf EXPECTED_GREEDY.json\n", argv[0]);
    return 2;
  }
  std::ifstream in(argv[2]);
  const auto expected = nlohmann::json::parse(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
  std::vector<int> want = expected.at("generated_ids").get<std::vector<int>>();
  const std::vector<int> prompt = expected.at("prompt_ids").get<std::vector<int>>();
  const int n = 64;
  want.resize(std::min<size_t>(want.size(), n));
  auto model = sweinfer::llm::LoadLlama(argv[1]);
  const auto got = sweinfer::llm::GenerateGreedy(model, prompt, n, 1);
  size_t same = 0;
  while (same < got.size() && same < want.size() && got[same] == want[same]) ++same;
  std::printf("stories260K on %s kernels: %zu of the first %zu greedy ids equal llama2.c's\n",
              sweinfer::llm::BestKernels().name, same, want.size());
  return same == want.size() ? 0 : 1;
}
