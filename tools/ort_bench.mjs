// Throughput of ONNX Runtime (CPU) on a batch: node ort_bench.mjs MODEL.onnx INPUT_NAME INPUT.npy THREADS [REPEATS]
// Prints the median time per batch, images/s and the fastest time, like bench/infer_bench.
import * as ort from 'onnxruntime-node';
import { readNpy } from './npy.mjs';

const [model, name, file, threads, repeatsArg = '50'] = process.argv.slice(2);
const x = readNpy(file);
const session = await ort.InferenceSession.create(model, {
  intraOpNumThreads: Number(threads), interOpNumThreads: 1, executionMode: 'sequential',
});
const feeds = { [name]: new ort.Tensor(x.ortType, x.data, x.shape) };
for (let i = 0; i < 3; i++) await session.run(feeds);
const ms = [];
for (let i = 0; i < Number(repeatsArg); i++) {
  const t0 = performance.now();
  await session.run(feeds);
  ms.push(performance.now() - t0);
}
ms.sort((a, b) => a - b);
const median = ms[Math.floor(ms.length / 2)];
console.log(`ort ${median.toFixed(3)} ms/batch ${Math.round((x.shape[0] * 1000) / median)} images/s (fastest ${ms[0].toFixed(3)} ms)`);
