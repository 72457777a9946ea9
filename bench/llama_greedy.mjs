// llama.cpp's greedy continuation of prompt ids (one per line in IDS_FILE) through node-llama-cpp,
// printed space-separated: the independent side of bench/llama_cpp_equality.sh.
// usage: LLAMA_JS_DIR=tools/llama-js node llama_greedy.mjs MODEL.gguf IDS_FILE N THREADS
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const packageDir = resolve(process.env.LLAMA_JS_DIR ?? "tools/llama-js", "node_modules/node-llama-cpp/dist/index.js");
const { getLlama } = await import(pathToFileURL(packageDir).href);
const [modelPath, idsPath, nArg, threadsArg] = process.argv.slice(2);
const n = Number(nArg), threads = Number(threadsArg ?? 2);
const ids = readFileSync(idsPath, "utf8").trim().split(/\s+/).map(Number);
const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });
const model = await llama.loadModel({ modelPath, gpuLayers: 0, useMmap: true });
const context = await model.createContext({ contextSize: ids.length + n + 16, batchSize: 512, threads, flashAttention: false });
const sequence = context.getSequence();
const out = [];
for await (const token of sequence.evaluate(ids, { temperature: 0 })) {
  out.push(token);
  if (out.length >= n) break;
}
console.log(out.join(" "));
await context.dispose();
await model.dispose();
