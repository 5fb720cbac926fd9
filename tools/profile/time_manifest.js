// Times the models of a `profile sample` folder in ONNX Runtime on this
// machine and fills in manifest.csv's latency_ms column: this machine standing
// in for a device, to test the sample -> time -> fit loop end to end.
//
//   node tools/profile/time_manifest.js FOLDER [--threads 1] [--rounds 3] [--runs 30]
//
// Each round times every model once (warm-up, then the median of --runs batch-1
// runs) in a fresh random order; a model's latency is the median of its rounds,
// so that the machine's drift during the run falls on all models alike.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require(path.join(__dirname, '../../runtime/node_modules/onnxruntime-node'));

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function option(args, name, fallback) {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
}

async function main() {
  const args = process.argv.slice(2);
  const folder = args[0];
  if (!folder || folder.startsWith('--')) {
    console.error('usage: node time_manifest.js FOLDER [--threads 1] [--rounds 3] [--runs 30]');
    process.exit(2);
  }
  const threads = option(args, '--threads', 1), rounds = option(args, '--rounds', 3), runs = option(args, '--runs', 30);
  const manifestPath = path.join(folder, 'manifest.csv');
  const lines = fs.readFileSync(manifestPath, 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  const fileColumn = header.indexOf('file'), latencyColumn = header.indexOf('latency_ms');
  if (fileColumn < 0 || latencyColumn < 0) throw new Error(`${manifestPath}: no 'file' and 'latency_ms' columns`);
  const rows = lines.slice(1).map((line) => line.split(','));
  const models = [];
  for (const row of rows) {
    const session = await ort.InferenceSession.create(path.join(folder, row[fileColumn]), {
      intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
    });
    const shape = row[header.indexOf('input')].split('x').map(Number);  // "1x1x28x28"
    const size = shape.reduce((a, b) => a * b, 1);
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', new Float32Array(size), shape) };
    models.push({ row, session, feeds, timings: [] });
  }
  for (let round = 0; round < rounds; ++round) {
    const order = models.map((_, i) => i);
    for (let i = order.length - 1; i > 0; --i) {
      const j = Math.floor(Math.random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (const i of order) {
      const m = models[i];
      const feeds = m.feeds;
      // The first model of the process also warms up Node's JIT.
      for (let k = 0; k < (round === 0 && i === order[0] ? 300 : 10); ++k) await m.session.run(feeds);
      const ms = [];
      for (let k = 0; k < runs; ++k) {
        const start = process.hrtime.bigint();
        await m.session.run(feeds);
        ms.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
      m.timings.push(median(ms));
    }
    console.error(`round ${round + 1}/${rounds} done`);
  }
  for (const m of models) m.row[latencyColumn] = median(m.timings).toFixed(6);
  const text = [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n';
  fs.writeFileSync(manifestPath + '.tmp', text);
  fs.renameSync(manifestPath + '.tmp', manifestPath);
  console.log(`${manifestPath}: latency_ms of ${rows.length} models, median of ${rounds} rounds`);
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
