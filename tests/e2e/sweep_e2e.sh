#!/usr/bin/env bash
# quantize sweep: a small grid on smallcnn (scores checked against optimize + analyze of the same
# configuration), the default grid (the four methods) on the policy, a grid file, bad grids.
# Usage: sweep_e2e.sh QUANTIZE_BINARY SOURCE_DIR
set -u
. "$2/tests/lib.sh" "$1" "$2"
PY=/usr/bin/python3
CNN="$SRC/testdata/models/smallcnn.onnx"
$PY -c "
import numpy as np
x = np.load('$SRC/testdata/inputs/fashion_test_500.npy'); y = np.load('$SRC/testdata/inputs/fashion_test_500_labels.npy')
np.save('$WORK/calib.npy', x[:250]); np.save('$WORK/eval.npy', x[250:]); np.save('$WORK/eval_y.npy', y[250:])"

expect_exit 0 "sweep: 2 methods, 2 percentiles, 2 calibration sizes" "$QUANTIZE" sweep "$CNN" --calib "$WORK/calib.npy" \
  --data "$WORK/eval.npy" --labels "$WORK/eval_y.npy" --methods minmax,percentile --percentiles 99.9,99.99 --calib-sizes 50,250 \
  -o "$WORK/grid" --json
cp "$ERR_FILE" "$WORK/grid.log"
expect_stderr "progress per configuration" "\[6/6\] percentile 99.99, 250 samples, uint8, per-channel: accuracy"
expect_stderr "the best is printed" "best: #[0-9]+ "
if $PY - "$WORK/grid" <<'PY'
import csv, json, sys, xml.etree.ElementTree as ET
d = sys.argv[1]
rows = list(csv.DictReader(open(d + '/sweep.csv')))
assert len(rows) == 6, len(rows)
assert list(rows[0].keys()) == ['config', 'script', 'calib_size', 'method', 'percentile', 'activation_type', 'weights',
                                'accuracy', 'top1_agreement', 'sqnr_db', 'max_abs_error'], rows[0].keys()
assert [r['calib_size'] for r in rows] == ['50'] * 3 + ['250'] * 3
assert [(r['method'], r['percentile']) for r in rows[:3]] == [('minmax', ''), ('percentile', '99.9'), ('percentile', '99.99')]
j = json.load(open(d + '/sweep.json'))
assert j['format'] == 'quant-sweep' and j['samples'] == 250 and j['score'] == 'accuracy' and len(j['configurations']) == 6
best = max(j['configurations'], key=lambda c: (c['scores']['accuracy'], c['scores']['sqnr_db']))
assert j['best'] == best['config'], (j['best'], best)
for c, r in zip(j['configurations'], rows):
    assert abs(c['scores']['accuracy'] - float(r['accuracy'])) < 1e-6 and 0 < c['scores']['accuracy'] <= 1
svg = ET.parse(d + '/sweep.svg').getroot()
assert svg.tag.endswith('svg') and len([e for e in svg.iter() if e.tag.endswith('rect')]) == 7  # background + 6 bars
PY
then ok "sweep.csv, sweep.json and sweep.svg: 6 configurations, best = highest accuracy"; else fail "sweep files"; fi

# The minmax/250 row scores what optimize + analyze give for the same configuration.
"$QUANTIZE" -q optimize "$CNN" --calib "$WORK/calib.npy" --calib-size 250 -o "$WORK/mm.onnx"
"$QUANTIZE" -q analyze "$CNN" "$WORK/mm.onnx" --data "$WORK/eval.npy" --labels "$WORK/eval_y.npy" --no-sensitivity --report "$WORK/mm_report"
if $PY - "$WORK/grid/sweep.json" "$WORK/mm_report/report.json" <<'PY'
import json, sys
row = next(c for c in json.load(open(sys.argv[1]))['configurations'] if c['options']['method'] == 'minmax' and c['options']['calib_size'] == 250)
rep = json.load(open(sys.argv[2]))
sqnr = min(o['sqnr_db'] for o in rep['outputs'])
assert abs(row['scores']['sqnr_db'] - sqnr) < 0.006, (row['scores'], sqnr)  # report.json rounds to 0.01 dB
assert abs(row['scores']['accuracy'] - rep['accuracy_quantized']) < 1e-9, (row['scores'], rep['accuracy_quantized'])
print('%.2f dB, accuracy %.4f' % (sqnr, row['scores']['accuracy']))
PY
then ok "the sweep's minmax/250 scores equal optimize + analyze"; else fail "sweep scores differ from optimize + analyze"; fi

# No grid: the four methods; no labels: scored by SQNR.
"$QUANTIZE" -q sweep "$SRC/testdata/models/policy.onnx" --calib "$SRC/testdata/inputs/policy_calib_x.npy" \
  --data "$SRC/testdata/inputs/policy_test_x_2000.npy" -o "$WORK/policy" --json > "$WORK/policy.json" \
  && $PY -c "
import json
d = json.load(open('$WORK/policy.json'))
assert d['command'] == 'sweep' and d['configurations'] == 4 and d['best']['scores']['sqnr_db'] > 20, d
assert sorted(f['path'].rsplit('/', 1)[1] for f in d['files']) == ['sweep.csv', 'sweep.json', 'sweep.svg'], d['files']" \
  && ok "default grid on the policy; --json names the best and the files" || fail "default grid on the policy / --json"
$PY -c "
import csv
rows = list(csv.DictReader(open('$WORK/policy/sweep.csv')))
assert [r['method'] for r in rows] == ['minmax', 'percentile', 'entropy', 'mse'], rows
assert 'accuracy' not in rows[0] and float(rows[0]['sqnr_db']) > 20" && ok "four methods, scored by SQNR" || fail "default grid"

# A grid file.
printf '{"methods": ["minmax", "mse"], "activation_types": ["uint8", "int8"], "weights": ["per-tensor"]}' > "$WORK/grid.json"
expect_exit 0 "--grid FILE" "$QUANTIZE" sweep "$CNN" --calib "$WORK/calib.npy" --data "$WORK/eval.npy" --grid "$WORK/grid.json" -o "$WORK/file"
[ "$(tail -n +2 "$WORK/file/sweep.csv" | cut -d, -f4,6,7 | tr '\n' ' ')" = "minmax,uint8,per-tensor minmax,int8,per-tensor mse,uint8,per-tensor mse,int8,per-tensor " ] \
  && ok "the grid file's lists" || fail "grid file rows: $(cat "$WORK/file/sweep.csv")"

expect_exit 0 "percentiles without the percentile method" "$QUANTIZE" sweep "$CNN" --calib "$WORK/calib.npy" --calib-size 50 \
  --data "$WORK/eval.npy" --data-size 50 --methods minmax --percentiles 99.9 -o "$WORK/nopct"
expect_stderr "are said not to be swept" "the percentiles apply to the percentile method only, which the grid's methods do not include: they are not swept"

# --keep-float-ops for every configuration: the same sweep with both Gemms float scores closer to float.
expect_exit 0 "--keep-float-ops Gemm" "$QUANTIZE" sweep "$CNN" --calib "$WORK/calib.npy" --calib-size 50 \
  --data "$WORK/eval.npy" --data-size 50 --methods minmax -o "$WORK/kept" --keep-float-ops Gemm
$PY -c "
import csv
kept, all8 = (float(list(csv.DictReader(open(f'$WORK/{d}/sweep.csv')))[0]['sqnr_db']) for d in ('kept', 'nopct'))
assert kept > all8, (kept, all8)
print(kept, all8)" > "$WORK/kept.txt" 2>&1 && ok "Gemms kept float: output SQNR $(cat "$WORK/kept.txt") dB (kept, all INT8)" || fail "--keep-float-ops in sweep: $(cat "$WORK/kept.txt")"
expect_exit 2 "--keep-float with a name the model lacks" "$QUANTIZE" sweep "$CNN" --calib "$WORK/calib.npy" --data "$WORK/eval.npy" -o "$WORK/bad" --keep-float /nope

printf '{"method": ["minmax"]}' > "$WORK/bad.json"
expect_exit 2 "an unknown grid key" "$QUANTIZE" sweep "$CNN" --calib "$WORK/calib.npy" --data "$WORK/eval.npy" --grid "$WORK/bad.json" -o "$WORK/bad"
expect_stderr "names the keys" "unknown grid key 'method' \(expected methods,"
expect_exit 2 "an unknown method" "$QUANTIZE" sweep "$CNN" --calib "$WORK/calib.npy" --data "$WORK/eval.npy" --methods minmax,kl -o "$WORK/bad"
[ ! -e "$WORK/bad" ] && ok "nothing written for bad grids" || fail "a bad grid wrote $WORK/bad"
finish
