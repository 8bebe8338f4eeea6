// Do quant's emulated integer outputs agree with ONNX Runtime on the same QDQ model, in quantization
// steps? Used by tests/e2e/emulate_e2e.sh:
//   node tools/ort_step_agreement.mjs MODEL.onnx QUANT_OUTPUT_DIR --step NAME=SCALE [--step ...]
//        [--min-equal 0.999] [--max-steps 1] [--level basic|all] NAME=INPUT.npy ...
// Per output: |quant - ort| / SCALE rounded to whole steps (integer outputs, the stored values of a
// quantized tensor, need no --step: their step is 1), the histogram of those steps, the share
// of equal elements. Exits 1 when an output has fewer equal elements than --min-equal or a
// difference above --max-steps. --level picks ONNX Runtime's graph optimization level: 'basic'
// runs the Q/DQ pairs as the ONNX spec defines them (the default, see ort_session.mjs); 'all' lets
// it fuse them into its own integer kernels.
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { readNpy } from './npy.mjs';

const args = process.argv.slice(2);
const [modelPath, outDir] = args;
const steps = {};
const feeds = {};
let minEqual = 0.999, maxSteps = 1, level = 'basic';
for (let i = 2; i < args.length; i++) {
  if (args[i] === '--step') { const [n, s] = args[++i].split('='); steps[n] = Number(s); continue; }
  if (args[i] === '--min-equal') { minEqual = Number(args[++i]); continue; }
  if (args[i] === '--max-steps') { maxSteps = Number(args[++i]); continue; }
  if (args[i] === '--level') { level = args[++i]; continue; }
  const [name, file] = args[i].split('=');
  const t = readNpy(file);
  feeds[name] = new ort.Tensor(t.ortType, t.data, t.shape);
}
const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, graphOptimizationLevel: level });
const results = await session.run(feeds);
let ok = true;
for (const name of session.outputNames) {
  const want = results[name];
  const scale = want.type === 'float32' ? steps[name] : 1;
  if (!(scale > 0)) { console.log(`FAIL ${name}: no --step ${name}=SCALE given`); ok = false; continue; }
  const got = readNpy(path.join(outDir, name.replace(/[^A-Za-z0-9._-]/g, '_') + '.npy'));
  if (got.shape.join(',') !== want.dims.join(',')) { console.log(`FAIL ${name}: shape ${got.shape} != ${want.dims}`); ok = false; continue; }
  const histogram = new Map();
  let worst = 0;
  for (let i = 0; i < want.data.length; i++) {
    const d = Math.round(Math.abs(Number(got.data[i]) - Number(want.data[i])) / scale);
    histogram.set(d, (histogram.get(d) ?? 0) + 1);
    worst = Math.max(worst, d);
  }
  const n = want.data.length, equal = (histogram.get(0) ?? 0) / n;
  const pass = equal >= minEqual && worst <= maxSteps;
  ok &&= pass;
  // 0 to 3 steps one by one, then by powers of two (16-bit tensors count steps 256 times finer).
  const buckets = new Map();
  for (const [d, count] of histogram) {
    const label = d <= 3 ? `${d}` : `${2 ** Math.floor(Math.log2(d))}-${2 ** (Math.floor(Math.log2(d)) + 1) - 1}`;
    const first = d <= 3 ? d : 2 ** Math.floor(Math.log2(d));
    const b = buckets.get(label) ?? { first, count: 0 };
    b.count += count;
    buckets.set(label, b);
  }
  const hist = [...buckets].sort((a, b) => a[1].first - b[1].first).map(([label, b]) => `${label}: ${b.count}`).join(', ');
  console.log(`${pass ? 'ok  ' : 'FAIL'} ${name}: ${n} elements, ${(100 * equal).toFixed(3)}% equal, max ${worst} step(s) (ONNX Runtime '${level}'); elements by steps apart: ${hist}`);
}
process.exit(ok ? 0 : 1);
