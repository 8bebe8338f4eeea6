// Do two models compute the same outputs in ONNX Runtime? Used to check that `quantize prepare`
// keeps a model's meaning:
//   node tools/ort_same_outputs.mjs A.onnx B.onnx --tol 1e-5 NAME=INPUT.npy [NAME=INPUT.npy ...]
// Runs both on the same inputs, compares every output of A with B's output of the same name, and
// prints per output the max relative error max|a-b| / max(max|a|, 1e-6). Exits 1 when an output
// is missing, differs in shape, or exceeds --tol.
import * as ort from 'onnxruntime-node';
import { readNpy } from './npy.mjs';

const args = process.argv.slice(2);
const [pathA, pathB] = args;
let tol = 1e-5;
const feeds = {};
for (let i = 2; i < args.length; i++) {
  if (args[i] === '--tol') { tol = Number(args[++i]); continue; }
  const [name, file] = args[i].split('=');
  const x = readNpy(file);
  feeds[name] = new ort.Tensor(x.ortType, x.data, x.shape);
}
const run = async (path) => {
  const s = await ort.InferenceSession.create(path, { intraOpNumThreads: 1, graphOptimizationLevel: 'disabled' });
  return s.run(feeds);
};
const [a, b] = [await run(pathA), await run(pathB)];
let bad = false;
const parts = [];
for (const name of Object.keys(a)) {
  if (!b[name]) { parts.push(`${name}: missing in ${pathB}`); bad = true; continue; }
  if (a[name].dims.join(',') !== b[name].dims.join(',')) {
    parts.push(`${name}: shape [${a[name].dims}] vs [${b[name].dims}]`);
    bad = true;
    continue;
  }
  let maxErr = 0, maxAbs = 0;
  const x = a[name].data, y = b[name].data;
  for (let i = 0; i < x.length; i++) {
    maxErr = Math.max(maxErr, Math.abs(Number(x[i]) - Number(y[i])));
    maxAbs = Math.max(maxAbs, Math.abs(Number(x[i])));
  }
  const rel = maxErr / Math.max(maxAbs, 1e-6);
  if (!(rel <= tol)) bad = true;
  parts.push(`${name}: max_rel_error ${rel.toExponential(2)}`);
}
console.log(parts.join(', '));
process.exit(bad ? 1 : 0);
