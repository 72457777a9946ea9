// Encodes the same documents as tokenizer_bench with the npm `tiktoken` package (tiktoken's Rust
// core built to WebAssembly) and `js-tiktoken` (pure JavaScript), single-threaded, and prints
// MB/s and the token count (which must equal sweinfer's).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
const require = createRequire(import.meta.url + '/../../tools/js/');
const { get_encoding } = require('tiktoken');
const { getEncoding } = require('js-tiktoken');

const [file, encoding, which = 'both'] = process.argv.slice(2);
const docs = readFileSync(file, 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l).text);
const bytes = docs.reduce((n, d) => n + Buffer.byteLength(d), 0);
const name = file.split('/').pop();

function measure(label, encode) {
  const start = process.hrtime.bigint();
  let tokens = 0;
  for (const d of docs) tokens += encode(d).length;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`${label} ${encoding} ${name}: ${(bytes / 1e6).toFixed(1)} MB, ${tokens} tokens; 1 thread ${(bytes / 1e6 / seconds).toFixed(1)} MB/s`);
}
if (which === 'both' || which === 'tiktoken') {
  const enc = get_encoding(encoding);
  measure('npm tiktoken (wasm)', (d) => enc.encode(d, [], []));
  enc.free();
}
if (which === 'both' || which === 'js-tiktoken') {
  const enc = getEncoding(encoding);
  measure('npm js-tiktoken', (d) => enc.encode(d, [], []));
}
