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
//   reported too (calibration: the tensors to measure are made outputs). timing_runs > 0 times that many
//   runs of one batch-1 input (the first) after warmup_runs untimed ones.
// RESPONSE: [{"output_shape": [N, K], "run_ms": [...], "median_ms": m,
//             "ranges": {"tensor": [min, max], ...}}]
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

async function runModel(spec, threads) {
  const session = await ort.InferenceSession.create(spec.path, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  const [n, ...item] = spec.input_shape;
  const itemSize = item.reduce((a, b) => a * b, 1);
  const result = { output_shape: [], run_ms: [], median_ms: null, ranges: {} };
  const input = spec.input ? readFloats(spec.input) : new Float32Array(itemSize);
  if (input.length !== n * itemSize) throw new Error(`${spec.input}: ${input.length} floats, not ${n} x ${itemSize}`);

  if (spec.output) {
    const batch = spec.batch || 64;
    const chunks = [];
    let classes = 0;
    for (let start = 0; start < n; start += batch) {
      const count = Math.min(batch, n - start);
      const x = new ort.Tensor('float32', input.subarray(start * itemSize, (start + count) * itemSize), [count, ...item]);
      const outputs = await session.run({ [inputName]: x });
      const y = outputs[outputName];
      classes = y.dims[1];
      if (spec.ranges) {
        for (const name of session.outputNames) {
          const data = outputs[name].data;
          let lo = Infinity, hi = -Infinity;
          for (let i = 0; i < data.length; ++i) {
            const v = data[i];
            if (v < lo) lo = v;
            if (v > hi) hi = v;
          }
          const r = result.ranges[name];
          result.ranges[name] = r ? [Math.min(r[0], lo), Math.max(r[1], hi)] : [lo, hi];
        }
      }
      chunks.push(Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength));
    }
    fs.writeFileSync(spec.output, Buffer.concat(chunks));
    result.output_shape = [n, classes];
  }
  if (spec.timing_runs > 0) {
    const x = new ort.Tensor('float32', input.slice(0, itemSize), [1, ...item]);
    const feeds = { [inputName]: x };
    for (let i = 0; i < (spec.warmup_runs || 0); ++i) await session.run(feeds);
    for (let i = 0; i < spec.timing_runs; ++i) {
      const start = process.hrtime.bigint();
      await session.run(feeds);
      result.run_ms.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
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
  const results = [];
  for (const spec of request.models) {
    try {
      results.push(await runModel(spec, request.threads || 1));
    } catch (e) {
      console.error(`${spec.path}: ${e.message}`);
      process.exit(1);
    }
  }
  fs.writeFileSync(responsePath, JSON.stringify(results));
}

main();
