// Checks that a params JSON agrees exactly with the quantization inside the model it describes,
// read back from the model by `quantize parse-model --json` (scales, zero points, types, axes):
//   node tools/check_params.mjs PARAMS.json PARSE_MODEL.json
import fs from 'node:fs';

const params = JSON.parse(fs.readFileSync(process.argv[2]));
const parsed = JSON.parse(fs.readFileSync(process.argv[3]));
const inModel = new Map(parsed.quantization.tensors.map((t) => [t.name, t]));
let bad = 0, checked = 0;
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
for (const t of params.tensors) {
  const m = inModel.get(t.name);
  if (!m) { console.log(`MISSING in model: ${t.name}`); bad++; continue; }
  for (const key of ['dtype', 'qp_scale', 'qp_zp']) {
    if (!same(t[key], m[key])) { console.log(`DIFFERENT ${t.name}.${key}: json ${JSON.stringify(t[key])} model ${JSON.stringify(m[key])}`); bad++; }
  }
  if ((t.axis ?? -1) !== (m.axis ?? -1)) { console.log(`DIFFERENT ${t.name}.axis`); bad++; }
  checked++;
}
if (inModel.size !== params.tensors.length) { console.log(`model has ${inModel.size} quantized tensors, JSON ${params.tensors.length}`); bad++; }
console.log(`${checked} tensors checked, ${bad} differences`);
process.exit(bad === 0 && checked > 0 ? 0 : 1);
