// Prints the argmax of each row of a logits .npy next to its label: node show_predictions.mjs LOGITS.npy LABELS.npy
import { readNpy } from './npy.mjs';

const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const logits = readNpy(process.argv[2]);
const labels = readNpy(process.argv[3]);
const [n, k] = logits.shape;
let correct = 0;
for (let i = 0; i < n; i++) {
  let best = 0;
  for (let j = 1; j < k; j++) if (logits.data[i * k + j] > logits.data[i * k + best]) best = j;
  const label = Number(labels.data[i]);
  correct += best === label ? 1 : 0;
  console.log(`image ${i}: predicted ${CLASSES[best].padEnd(12)} label ${CLASSES[label].padEnd(12)} ${best === label ? 'ok' : 'MISS'}`);
}
console.log(`${correct}/${n} correct`);
