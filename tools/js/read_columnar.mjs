// Reads a Parquet file (hyparquet) or an Arrow IPC stream (apache-arrow) and prints its rows as
// JSON Lines, so the tests can check sweinfer's files with readers it did not write.
import { readFileSync } from 'node:fs';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { tableFromIPC } from 'apache-arrow';

const [kind, path] = process.argv.slice(2);
const normalize = (v) => {
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof v === 'object' && typeof v.toArray === 'function') return Array.from(v.toArray(), normalize);
  if (Array.isArray(v)) return v.map(normalize);
  return v;
};
const bytes = readFileSync(path);
let rows;
if (kind === 'parquet') {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  rows = await parquetReadObjects({ file, compressors });
} else {
  const table = tableFromIPC(bytes);
  rows = table.toArray().map((r) => r.toJSON());
}
for (const row of rows) {
  const out = {};
  for (const [k, v] of Object.entries(row)) out[k] = normalize(v);
  process.stdout.write(JSON.stringify(out) + '\n');
}
