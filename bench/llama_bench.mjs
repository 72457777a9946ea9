// llama.cpp on the benchmark's GGUF (F16) through node-llama-cpp: prefill of the same prompt ids
// and greedy decoding, on the CPU with the given thread count.
// usage: LLAMA_JS_DIR=tools/llama-js node llama_bench.mjs MODEL.gguf PROMPT_IDS.txt THREADS DECODE_TOKENS
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const packageDir = resolve(process.env.LLAMA_JS_DIR ?? "tools/llama-js", "node_modules/node-llama-cpp/dist/index.js");
const { getLlama } = await import(pathToFileURL(packageDir).href);

const [modelPath, idsPath, threadsArg, decodeArg] = process.argv.slice(2);
const threads = Number(threadsArg), decode = Number(decodeArg);
const ids = readFileSync(idsPath, "utf8").trim().split("\n").map(Number);
const llama = await getLlama({ gpu: false, build: "never" });
// Which of llama.cpp's kernels run here (its own system report, e.g. "AVX2 = 1 | AVX512 = 1").
const features = (llama.systemInfo ?? "").split("|").map((f) => f.trim()).filter((f) => /= 1$/.test(f)).map((f) => f.replace(/ = 1$/, ""));
const model = await llama.loadModel({ modelPath, gpuLayers: 0, useMmap: true });
const context = await model.createContext({ contextSize: ids.length + decode + 16, batchSize: 512, threads, flashAttention: false });
// Decoding is timed in rounds of 8 tokens, median and best, as llama_bench does.
const run = async () => {
  const sequence = context.getSequence();
  const start = performance.now();
  let first = 0, count = 0, roundStart = 0;
  const rates = [];
  for await (const token of sequence.evaluate(ids, { temperature: 0 })) {
    const now = performance.now();
    if (count === 0) first = roundStart = now;
    else if (count % 8 === 0) {
      rates.push(8 / ((now - roundStart) / 1000));
      roundStart = now;
    }
    if (++count > decode) break;
  }
  sequence.dispose();
  rates.sort((a, b) => a - b);
  return { prefill_s: (first - start) / 1000, median: rates[Math.floor(rates.length / 2)], best: rates[rates.length - 1] };
};
const r = await run();
console.log(`llama.cpp threads=${threads} kernels="${features.join(",")}" prefill_tokens=${ids.length} prefill_s=${r.prefill_s.toFixed(2)} ` +
  `prefill_tok_s=${(ids.length / r.prefill_s).toFixed(2)} decode_tokens=${decode} decode_tok_s=${r.median.toFixed(2)} ` +
  `decode_best_tok_s=${r.best.toFixed(2)}`);
await context.dispose();
await model.dispose();
