// ONNX Runtime's side of `infer_bench --per-op`: runs MODEL on the batch in INPUT.npy REPEATS times
// with profiling on and prints each node's median kernel time per batch in ms, slowest first (ONNX
// Runtime names a fused node after its fused output, e.g. ".../Relu_output_0_nchwc" for Conv+Relu).
//   node tools/ort_per_op.mjs MODEL.onnx INPUT_NAME INPUT.npy THREADS [REPEATS=10]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { readNpy } from './npy.mjs';

const [model, name, file, threads, repeatsArg = '10'] = process.argv.slice(2);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ort-per-op-'));
try {
  const x = readNpy(file);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: Number(threads), interOpNumThreads: 1, executionMode: 'sequential',
    enableProfiling: true, profileFilePrefix: path.join(dir, 'profile'),
  });
  const feeds = { [name]: new ort.Tensor(x.ortType, x.data, x.shape) };
  for (let i = 0; i < Number(repeatsArg); i++) await session.run(feeds);
  await session.release();  // writes the profile
  const profile = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
  if (!profile) throw new Error('ONNX Runtime wrote no profile');
  const times = new Map();
  for (const e of JSON.parse(fs.readFileSync(path.join(dir, profile), 'utf8'))) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const key = `${e.args.op_name} ${e.name.slice(0, -'_kernel_time'.length)}`;
    if (!times.has(key)) times.set(key, []);
    times.get(key).push(e.dur / 1000);
  }
  const median = (v) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const rows = [...times].map(([key, v]) => [median(v), key]).sort((a, b) => b[0] - a[0]);
  const total = rows.reduce((s, [ms]) => s + ms, 0);
  console.log(`per op, median ms per batch (total ${total.toFixed(3)}):`);
  for (const [ms, key] of rows) console.log(`${ms.toFixed(3).padStart(9)} ${((100 * ms) / total).toFixed(1).padStart(6)}%  ${key}`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
