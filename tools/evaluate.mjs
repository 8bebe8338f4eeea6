// Top-1 accuracy of a classifier in ONNX Runtime: node tools/evaluate.mjs MODEL.onnx IMAGES.npy LABELS.npy [BATCH]
// IMAGES.npy holds the model's float input [N, ...]; prints "top1 <fraction> (<correct>/<N>)".
import * as ort from 'onnxruntime-node';
import { readNpy } from './npy.mjs';
import { openSession } from './ort_session.mjs';

const [model, imagesPath, labelsPath, batchArg = '500'] = process.argv.slice(2);
const x = readNpy(imagesPath);
const y = readNpy(labelsPath);
const session = await openSession(model);
const [n, ...rest] = x.shape;
const per = rest.reduce((a, b) => a * b, 1);
const batch = Number(batchArg);
let correct = 0;
for (let start = 0; start < n; start += batch) {
  const count = Math.min(batch, n - start);
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x.data.subarray(start * per, (start + count) * per), [count, ...rest]) };
  const out = (await session.run(feeds))[session.outputNames[0]];
  const k = out.dims[1];
  for (let i = 0; i < count; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (out.data[i * k + j] > out.data[i * k + best]) best = j;
    if (best === Number(y.data[start + i])) correct++;
  }
}
console.log(`top1 ${(correct / n).toFixed(4)} (${correct}/${n})`);
