// Runs a model in ONNX Runtime on .npy inputs and compares every output with quant's .npy outputs:
//   node tools/ort_compare.mjs MODEL.onnx QUANT_OUTPUT_DIR [--tol 1e-4] NAME=INPUT.npy ...
// Passes when max |ort - quant| <= tol * max(1, |ort|) elementwise. Prints one line per output.
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { readNpy } from './npy.mjs';
import { openSession } from './ort_session.mjs';

const args = process.argv.slice(2);
const [modelPath, outDir] = args;
let tol = 1e-4;
const feeds = {};
for (let i = 2; i < args.length; i++) {
  if (args[i] === '--tol') { tol = Number(args[++i]); continue; }
  const [name, file] = args[i].split('=');
  const t = readNpy(file);
  feeds[name] = new ort.Tensor(t.ortType, t.data, t.shape);
}
const session = await openSession(modelPath, 1);
const results = await session.run(feeds);
let ok = true;
for (const name of session.outputNames) {
  const want = results[name];
  const file = path.join(outDir, name.replace(/[^A-Za-z0-9._-]/g, '_') + '.npy');
  const got = readNpy(file);
  if (got.shape.join(',') !== want.dims.join(',')) {
    console.log(`FAIL ${name}: shape ${got.shape} != ${want.dims}`);
    ok = false;
    continue;
  }
  let worst = 0;
  for (let i = 0; i < want.data.length; i++) {
    const err = Math.abs(Number(got.data[i]) - Number(want.data[i])) / Math.max(1, Math.abs(Number(want.data[i])));
    if (!(err <= worst)) worst = err;
  }
  const pass = worst <= tol;
  ok &&= pass;
  console.log(`${pass ? 'ok  ' : 'FAIL'} ${name} ${want.dims.join('x')}: max relative error vs ONNX Runtime ${worst.toExponential(2)} (tolerance ${tol})`);
}
process.exit(ok ? 0 : 1);
