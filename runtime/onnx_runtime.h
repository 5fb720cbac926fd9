// Runs ONNX models in ONNX Runtime, the runtime users deploy with, through
// onnxruntime-node: runtime/run_onnx.js, installed by ./setup.sh with
// `npm ci` into runtime/node_modules (git-ignored). ONNX Runtime ships no C
// headers in that package, so a Node process is the way in; it runs a whole
// batch of models, so its start-up is never timed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace edgenas {

struct OnnxRuntimeJob {
  std::string model_path;
  // Inputs to run, [N, C, H, W] float32 row-major; their outputs are returned.
  std::vector<float> input;
  std::vector<int64_t> input_shape;
  int batch = 64;
  // Also report every output's smallest and largest value over the inputs,
  // or with percentile p > 0, its (100 - p)th and pth percentiles.
  bool ranges = false;
  double percentile = 0;
  // > 0: also time this many batch-1 runs (of the first input, or zeros when
  // there is no input) after warmup_runs untimed ones.
  int timing_runs = 0;
  int warmup_runs = 10;
  // More timed runs until this much timed work, in ms, but at most
  // timing_max_runs (if above timing_runs).
  double timing_min_ms = 0;
  int timing_max_runs = 0;
};

struct OnnxRuntimeResult {
  std::vector<float> output;  // [N, classes], when the job had inputs
  std::vector<int64_t> output_shape;
  std::vector<double> run_ms;  // batch-1 timings
  double median_ms = 0;
  std::map<std::string, std::pair<double, double>> ranges;  // output -> (min, max), when asked
  double reference_ms = 0;  // the reference model's median timed last before this job (if any)
};

// A model timed between the jobs (before the first, then after every
// `every`), with the jobs' timing fields: how fast the machine runs at each
// moment, to correct timings for its drift.
struct OnnxRuntimeReference {
  OnnxRuntimeJob model;  // its model_path, input_shape and timing fields
  int every = 25;
};

// Runs `jobs` in order in one ONNX Runtime process with `threads` intra-op
// threads. Throws Error if Node or onnxruntime-node is missing (saying how to
// install them) or a model fails to load or run (with ONNX Runtime's message).
// With a `reference`, each result carries its latest timing.
std::vector<OnnxRuntimeResult> RunInOnnxRuntime(const std::vector<OnnxRuntimeJob>& jobs, int threads,
                                                const OnnxRuntimeReference* reference = nullptr);

// Empty if ONNX Runtime can run here; else what is missing and how to install it.
std::string OnnxRuntimeMissing();

// "onnxruntime-node 1.30.0": the installed package and its version, as read
// from its package.json ("onnxruntime-node, not installed" without it).
std::string OnnxRuntimeVersion();

}  // namespace edgenas
