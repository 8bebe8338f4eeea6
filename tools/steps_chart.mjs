// A self-contained SVG chart of accuracy as auto-precision raises layers one by one:
//   node tools/steps_chart.mjs STEPS.csv TITLE > CHART.svg
// STEPS.csv columns: step,layer,mac_16bit_percent,sqnr_calib_db,sqnr_test_db,top1_percent,float_top1_percent
// Top panel: lowest output SQNR on the calibration data and on the held-out data; bottom panel: top-1
// accuracy on the held-out data with the float model's as a dashed line. x: the steps, labelled
// with the layer raised and the share of MACs at 16 bits after it.
import fs from 'node:fs';

const [csvPath, title = 'auto-precision'] = process.argv.slice(2);
const [header, ...lines] = fs.readFileSync(csvPath, 'utf8').trim().split('\n');
const keys = header.split(',');
const rows = lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [keys[i], v])));
const num = (r, k) => Number(r[k]);

const W = 860, left = 64, right = 130, panelH = 170, gap = 56, top = 44, labelH = 120;
const H = top + panelH + gap + panelH + labelH;
const x = (i) => left + (rows.length === 1 ? 0 : (i * (W - left - right)) / (rows.length - 1));
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const out = [];
out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`);
out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
out.push(`<text x="${left}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`);

// One panel: y range from the data (padded), grid lines, one polyline per series.
function panel(y0, label, series, unit) {
  const values = series.flatMap((s) => rows.map((r) => num(r, s.key))).filter(Number.isFinite);
  let lo = Math.min(...values), hi = Math.max(...values);
  const pad = Math.max((hi - lo) * 0.1, 0.5);
  lo = Math.floor(lo - pad); hi = Math.ceil(hi + pad);
  const y = (v) => y0 + panelH - ((v - lo) / (hi - lo)) * panelH;
  out.push(`<text x="${left}" y="${y0 - 8}" font-weight="bold">${esc(label)}</text>`);
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    out.push(`<line x1="${left}" x2="${W - right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(1)}${unit}</text>`);
  }
  series.forEach((s, si) => {
    const pts = rows.map((r, i) => [x(i), y(num(r, s.key))]).filter(([, v]) => Number.isFinite(v));
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" ${s.dash ? 'stroke-dasharray="5,4"' : ''} points="${pts.map((p) => p.join(',')).join(' ')}"/>`);
    if (!s.dash) for (const [px, py] of pts) out.push(`<circle cx="${px}" cy="${py}" r="3" fill="${s.color}"/>`);
    out.push(`<rect x="${W - right - 120}" y="${y0 + 6 + si * 16}" width="10" height="10" fill="${s.color}"/>`);
    out.push(`<text x="${W - right - 104}" y="${y0 + 15 + si * 16}">${esc(s.name)}</text>`);
  });
}
panel(top + 10, 'lowest output SQNR (dB)', [
  { key: 'sqnr_calib_db', name: 'calibration data', color: '#1f77b4' },
  { key: 'sqnr_test_db', name: 'held-out data', color: '#d62728' },
], '');
panel(top + 10 + panelH + gap, 'top-1 accuracy on held-out data (%)', [
  { key: 'top1_percent', name: 'quantized', color: '#2ca02c' },
  { key: 'float_top1_percent', name: 'float model', color: '#555', dash: true },
], '');
const base = top + 10 + 2 * panelH + gap + 14;
rows.forEach((r, i) => {
  const text = `${r.layer} (${Number(r.mac_16bit_percent).toFixed(1)}%)`;
  out.push(`<text transform="translate(${x(i) + 4},${base}) rotate(40)">${esc(text)}</text>`);
});
out.push(`<text x="${left}" y="${H - 6}" fill="#555">layer raised to a16_w16 at each step (share of MACs at 16 bits after it)</text>`);
out.push('</svg>');
console.log(out.join('\n'));
