// Per-output error of a quantized model against its float model in ONNX Runtime, on the same inputs:
//   node tools/compare_models.mjs FLOAT.onnx QUANT.onnx INPUTS.npy
// Prints, per output: max |error|, RMS error and SQNR (dB) = 20 log10(||float|| / ||float - quant||).
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
  let maxErr = 0, sq = 0, norm = 0;
  const a = f[name].data, b = q[name].data;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]);
    maxErr = Math.max(maxErr, e);
    sq += e * e;
    norm += a[i] * a[i];
  }
  const sqnr = 10 * Math.log10(norm / Math.max(sq, 1e-300));
  console.log(`${name}: max_abs_error ${maxErr.toExponential(3)} rms_error ${Math.sqrt(sq / a.length).toExponential(3)} sqnr_db ${sqnr.toFixed(1)}`);
}
