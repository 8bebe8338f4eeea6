// Per-output error of a quantized model against its float model in ONNX Runtime, on the same inputs:
//   node tools/compare_models.mjs FLOAT.onnx QUANT.onnx INPUTS.npy
// Prints, per output: max |error|, RMS error and SQNR (dB) = 20 log10(||float|| / ||float - quant||);
// for an integer output (a detector's selected indices), whether it equals the float model's; for
// outputs of different shapes (boxes kept by a different selection), only that.
import * as ort from 'onnxruntime-node';
import { readNpy } from './npy.mjs';
import { openSession } from './ort_session.mjs';

const [floatPath, quantPath, inputsPath] = process.argv.slice(2);
const x = readNpy(inputsPath);
const run = async (path) => {
  const s = await openSession(path);
  return s.run({ [s.inputNames[0]]: new ort.Tensor(x.ortType, x.data, x.shape) });
};
const [f, q] = [await run(floatPath), await run(quantPath)];
for (const name of Object.keys(f)) {
  const a = f[name].data, b = q[name].data;
  if (f[name].dims.join('x') !== q[name].dims.join('x')) {
    console.log(`${name}: shapes differ, float ${f[name].dims.join('x')} quantized ${q[name].dims.join('x')}`);
    continue;
  }
  if (!f[name].type.startsWith('float')) {
    let differ = 0;
    for (let i = 0; i < a.length; i++) differ += a[i] !== b[i] ? 1 : 0;
    console.log(`${name}: ${f[name].type} ${f[name].dims.join('x')}, ${differ ? `differs in ${differ} of ${a.length} elements` : 'equal'}`);
    continue;
  }
  let maxErr = 0, sq = 0, norm = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]);
    maxErr = Math.max(maxErr, e);
    sq += e * e;
    norm += a[i] * a[i];
  }
  const sqnr = 10 * Math.log10(norm / Math.max(sq, 1e-300));
  console.log(`${name}: max_abs_error ${maxErr.toExponential(3)} rms_error ${Math.sqrt(sq / a.length).toExponential(3)} sqnr_db ${sqnr.toFixed(1)}`);
}
