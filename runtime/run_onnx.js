// Runs and times ONNX models in ONNX Runtime (onnxruntime-node), for
// runtime/onnx_runtime.cc. One process serves a whole batch of models, so
// Node's and ONNX Runtime's start-up is never inside a timing.
//
//   node run_onnx.js REQUEST.json RESPONSE.json
//
// REQUEST: {"threads": 1, "models": [{"path": "m.onnx",
//            "input": "x.f32", "input_shape": [N, C, H, W], "batch": 64, "output": "y.f32",
//            "warmup_runs": 10, "timing_runs": 50}]}
//   input/output: raw little-endian float32. The N inputs are run in batches of
//   `batch` and the first output's values concatenated. With "ranges": true,
//   the smallest and largest value of every output over all inputs are
//   reported too (calibration: the tensors to measure are made outputs). With
//   "percentile": p as well, a second pass over the inputs histograms every
//   output over that range (2048 bins) and reports the values at the
//   (100 - p)th and pth percentiles instead, so rare outliers do not
//   stretch the range. timing_runs > 0 times that many
//   runs of one batch-1 input (the first) after warmup_runs untimed ones, and
//   more until "timing_min_ms" of timed work, up to "timing_max_runs".
//   With "reference": {"path", "input_shape", "every": k, timing fields as a
//   model's}, that model is opened once and timed before the first model and
//   after every k models; each result carries the reference's latest median
//   as "reference_ms", so that the caller can correct for the machine's drift.
// RESPONSE: [{"output_shape": [N, K], "run_ms": [...], "median_ms": m,
//             "ranges": {"tensor": [min, max], ...}, "reference_ms": r}]
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function readFloats(path) {
  const bytes = fs.readFileSync(path);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
}

const kBins = 2048;
let jitWarm = false;  // whether this process has run enough to have compiled its run path

// The inputs as tensors of at most `batch` items each.
function batchesOf(input, n, item, itemSize, batch) {
  const batches = [];
  for (let start = 0; start < n; start += batch) {
    const count = Math.min(batch, n - start);
    batches.push(new ort.Tensor('float32', input.subarray(start * itemSize, (start + count) * itemSize), [count, ...item]));
  }
  return batches;
}

// Every output's range over all batches: [min, max]; or with a percentile p,
// a second pass histograms each output over its [min, max] and the range
// becomes its (100 - p)th to pth percentile.
async function measureRanges(session, batches, percentile) {
  const ranges = {};
  for (const x of batches) {
    const outputs = await session.run({ [session.inputNames[0]]: x });
    for (const name of session.outputNames) {
      const data = outputs[name].data;
      let lo = Infinity, hi = -Infinity;
      for (let i = 0; i < data.length; ++i) {
        if (data[i] < lo) lo = data[i];
        if (data[i] > hi) hi = data[i];
      }
      const r = ranges[name];
      ranges[name] = r ? [Math.min(r[0], lo), Math.max(r[1], hi)] : [lo, hi];
    }
  }
  if (!percentile) return ranges;

  const histograms = {};
  const counts = {};
  for (const name of session.outputNames) {
    histograms[name] = new Float64Array(kBins);
    counts[name] = 0;
  }
  for (const x of batches) {
    const outputs = await session.run({ [session.inputNames[0]]: x });
    for (const name of session.outputNames) {
      const data = outputs[name].data;
      const [lo, hi] = ranges[name];
      const h = histograms[name];
      const scale = hi > lo ? kBins / (hi - lo) : 0;
      for (let i = 0; i < data.length; ++i) h[Math.min(kBins - 1, Math.floor((data[i] - lo) * scale))] += 1;
      counts[name] += data.length;
    }
  }
  const tail = (100 - percentile) / 100;
  const clipped = {};
  for (const name of session.outputNames) {
    const [lo, hi] = ranges[name];
    const h = histograms[name];
    const width = (hi - lo) / kBins;
    const cut = tail * counts[name];
    let below = 0, first = 0;
    while (first < kBins - 1 && below + h[first] <= cut) below += h[first++];
    let above = 0, last = kBins - 1;
    while (last > first && above + h[last] <= cut) above += h[last--];
    clipped[name] = [lo + first * width, lo + (last + 1) * width];
  }
  return clipped;
}

function openSession(path, threads) {
  return ort.InferenceSession.create(path, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
}

// Times `session` on `feeds` as a model's timing fields say; returns the run times.
async function timeRuns(session, feeds, spec) {
  // Node's JIT compiles the run path over the first few hundred runs of the
  // process: without these, the first model timed ran up to 1.4x slower.
  const warmup = Math.max(spec.warmup_runs || 0, jitWarm ? 0 : 300);
  jitWarm = true;
  for (let i = 0; i < warmup; ++i) await session.run(feeds);
  const minTimeMs = spec.timing_min_ms || 0;
  const maxRuns = Math.max(spec.timing_runs, spec.timing_max_runs || 0);
  const runs = [];
  let timedMs = 0;
  while (runs.length < maxRuns && (runs.length < spec.timing_runs || timedMs < minTimeMs)) {
    const start = process.hrtime.bigint();
    await session.run(feeds);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    runs.push(ms);
    timedMs += ms;
  }
  return runs;
}

// Zeros of a batch-1 input of `shape` [N, ...item]: timings do not depend on the values.
function zeroFeeds(session, shape) {
  const item = shape.slice(1);
  const size = item.reduce((a, b) => a * b, 1);
  return { [session.inputNames[0]]: new ort.Tensor('float32', new Float32Array(size), [1, ...item]) };
}

async function runModel(spec, threads) {
  const session = await openSession(spec.path, threads);
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  const [n, ...item] = spec.input_shape;
  const itemSize = item.reduce((a, b) => a * b, 1);
  const result = { output_shape: [], run_ms: [], median_ms: null, ranges: {} };
  const input = spec.input ? readFloats(spec.input) : new Float32Array(itemSize);
  if (input.length !== n * itemSize) throw new Error(`${spec.input}: ${input.length} floats, not ${n} x ${itemSize}`);

  if (spec.output) {
    const batches = batchesOf(input, n, item, itemSize, spec.batch || 64);
    if (spec.ranges) result.ranges = await measureRanges(session, batches, spec.percentile);
    const chunks = [];
    let classes = 0;
    for (const x of batches) {
      const y = (await session.run({ [inputName]: x }))[outputName];
      classes = y.dims[1];
      chunks.push(Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength));
    }
    fs.writeFileSync(spec.output, Buffer.concat(chunks));
    result.output_shape = [n, classes];
  }
  if (spec.timing_runs > 0) {
    const feeds = spec.input
      ? { [inputName]: new ort.Tensor('float32', input.slice(0, itemSize), [1, ...item]) }
      : zeroFeeds(session, spec.input_shape);
    result.run_ms = await timeRuns(session, feeds, spec);
    result.median_ms = median(result.run_ms);
  }
  await session.release();
  return result;
}

async function main() {
  const [requestPath, responsePath] = process.argv.slice(2);
  if (!requestPath || !responsePath) {
    console.error('usage: node run_onnx.js REQUEST.json RESPONSE.json');
    process.exit(2);
  }
  const request = JSON.parse(fs.readFileSync(requestPath, 'utf8'));
  const threads = request.threads || 1;
  const reference = request.reference;
  let referenceSession = null, referenceMs = null;
  const results = [];
  for (let i = 0; i < request.models.length; ++i) {
    const spec = request.models[i];
    try {
      if (reference && i % Math.max(1, reference.every || 1) === 0) {
        if (!referenceSession) referenceSession = await openSession(reference.path, threads);
        referenceMs = median(await timeRuns(referenceSession, zeroFeeds(referenceSession, reference.input_shape), reference));
      }
      const result = await runModel(spec, threads);
      result.reference_ms = referenceMs;
      results.push(result);
    } catch (e) {
      console.error(`${spec.path}: ${e.message}`);
      process.exit(1);
    }
  }
  if (referenceSession) await referenceSession.release();
  fs.writeFileSync(responsePath, JSON.stringify(results));
}

main();
