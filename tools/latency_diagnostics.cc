// Why a sum of per-layer times misses a whole network's time on this machine:
// the diagnostics behind docs/latency.md. Not a test and not a benchmark of
// edgenas itself; each subcommand prints what one finding rests on.
//
//   latency_diagnostics layers ARCH [--space S] [--flush-mib N] [--glibc-default-memory] [--flush-denormal]
//       each layer timed alone in a warm loop, alone after evicting N MiB, and
//       in place inside the network; page faults per forward pass
//   latency_diagnostics repeat [--space S] [--resolution R] [--networks N] [--rounds K]
//       the same networks timed K times, interleaved: how much one network's
//       own median (and fastest run) moves; run it twice to see the drift
//       between runs
//   latency_diagnostics calibration [--space S] [--resolution R] [--networks N]
//       whole / (sum of layers) against the network's weights, and how one
//       scale and a weight-dependent scale predict in 2-fold cross-validation
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <sys/resource.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <map>

#include "common/statistics.h"
#include "models/network_builder.h"
#include "models/torch_process.h"
#include "cost/lut_keys.h"
#include "cost/profile_fit.h"
#include "profiler/timer.h"
#include "space/network_stats.h"
#include "space/space_loader.h"

namespace edgenas {
namespace {

using Clock = std::chrono::steady_clock;

long PageFaults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt + usage.ru_majflt;
}

double Milliseconds(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Median of `runs` timings of `work`, each after `before` (untimed).
double TimeAfter(const std::function<void()>& before, const std::function<void()>& work, int runs) {
  work();
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    before();
    const auto start = Clock::now();
    work();
    times.push_back(Milliseconds(start));
  }
  return Median(times);
}

// Writes and reads `mib` MiB: evicts what the cache held before.
void Evict(std::vector<char>& buffer) {
  volatile char sink = 0;
  for (size_t i = 0; i < buffer.size(); i += 64) {
    buffer[i] = static_cast<char>(buffer[i] + 1);
    sink = sink + buffer[i];
  }
}

Genome SampleAt(const SearchSpace& space, int resolution, Rng& rng) {
  Genome g = space.Sample(rng);
  if (resolution > 0) g.genes[0] = static_cast<uint8_t>(space.ResolutionIndex(resolution));
  return g;
}

void Layers(const std::string& space_name, const std::string& arch, double flush_mib) {
  const SearchSpace space = LoadSpace(space_name);
  const NetworkSpec spec = space.Decode(space.Parse(arch));
  Network net(spec);
  net->eval();
  c10::InferenceMode inference;
  const torch::Tensor input = torch::randn({1, spec.input_channels, spec.resolution, spec.resolution});
  const size_t count = net->layers().size();
  for (int i = 0; i < 5; ++i) net->forward(input);

  // In place: a timestamp between layers, over 200 forward passes.
  std::vector<std::vector<double>> inside(count);
  std::vector<double> whole;
  const long faults_before = PageFaults();
  for (int run = 0; run < 200; ++run) {
    torch::Tensor x = input;
    const auto start = Clock::now();
    for (size_t i = 0; i < count; ++i) {
      const auto layer_start = Clock::now();
      x = net->layers()[i]->forward(x);
      inside[i].push_back(Milliseconds(layer_start));
    }
    whole.push_back(Milliseconds(start));
  }
  const double faults = (PageFaults() - faults_before) / 200.0;

  std::vector<char> buffer(static_cast<size_t>(flush_mib * (1 << 20)), 1);
  fmt::print("{:<8} {:>10} {:>12} {:>10} {:>8}  {}\n", "layer", "alone ms",
             flush_mib > 0 ? fmt::format("evict{}M ms", flush_mib) : "", "inside ms", "inside/alone", "output");
  double sum_alone = 0, sum_inside = 0;
  torch::Tensor x = input;
  for (size_t i = 0; i < count; ++i) {
    LayerModule& layer = net->layers()[i];
    const torch::Tensor in = torch::randn(x.sizes());
    const double alone = TimeAfter([] {}, [&] { layer->forward(in); }, 200);
    std::string evicted;
    if (flush_mib > 0) {
      // The input is touched after the eviction: inside a network it was just written.
      const auto before = [&] {
        Evict(buffer);
        in.sum().item<float>();
      };
      evicted = fmt::format("{:.4f}", TimeAfter(before, [&] { layer->forward(in); }, 30));
    }
    const double in_place = Median(inside[i]);
    x = layer->forward(x);
    sum_alone += alone;
    sum_inside += in_place;
    fmt::print("{:<8} {:>10.4f} {:>12} {:>10.4f} {:>8.2f}  {}, {}\n", spec.layers[i].name, alone, evicted, in_place,
               in_place / std::max(alone, 1e-6), x.is_contiguous() ? "contiguous" : "NOT contiguous",
               c10::str(x.sizes()));
  }
  fmt::print("whole network {:.4f} ms; in-place layers {:.4f} ms; layers alone {:.4f} ms; {:.1f} page faults per "
             "forward pass\n",
             Median(whole), sum_inside, sum_alone, faults);
}

void Repeat(const std::string& space_name, int resolution, int networks, int rounds) {
  const SearchSpace space = LoadSpace(space_name);
  Rng rng(5);
  c10::InferenceMode inference;
  std::vector<Network> nets;
  std::vector<torch::Tensor> inputs;
  std::vector<std::string> names;
  for (int n = 0; n < networks; ++n) {
    const Genome g = SampleAt(space, resolution, rng);
    const NetworkSpec spec = space.Decode(g);
    nets.emplace_back(spec);
    nets.back()->eval();
    inputs.push_back(torch::randn({1, spec.input_channels, spec.resolution, spec.resolution}));
    names.push_back(space.ToString(g));
  }
  std::vector<std::vector<double>> medians(networks), minima(networks);
  for (int r = 0; r < rounds; ++r) {
    for (int n = 0; n < networks; ++n) {
      const TimingResult t = TimeRuns([&] { nets[n]->forward(inputs[n]); }, TimerOptions());
      medians[n].push_back(t.median_ms);
      minima[n].push_back(t.min_ms);
    }
  }

  int within = 0;
  for (int n = 0; n < networks; ++n) {
    const double own = Median(medians[n]);
    const auto [low, high] = std::minmax_element(medians[n].begin(), medians[n].end());
    for (double m : medians[n]) within += std::abs(m / own - 1) <= 0.10;
    fmt::print("{:<50} min {:.3f}  median {:.3f}  max {:.3f} ms  max/min {:.2f}\n", names[n], *low, own, *high,
               *high / *low);
  }
  fmt::print("{:.1f}% of the {} timings are within ±10% of their own network's median\n",
             100.0 * within / (networks * rounds), networks * rounds);
  // The fastest run of each timing, as a statistic that ignores slow-downs.
  int within_min = 0;
  for (int n = 0; n < networks; ++n) {
    const double own = Median(minima[n]);
    for (double m : minima[n]) within_min += std::abs(m / own - 1) <= 0.10;
  }
  fmt::print("{:.1f}% of the timings' fastest runs are within ±10% of their own network's median fastest run\n",
             100.0 * within_min / (networks * rounds));
}

void Calibration(const std::string& space_name, int resolution, int networks) {
  const SearchSpace space = LoadSpace(space_name);
  Rng rng(11);
  c10::InferenceMode inference;
  std::map<std::string, double> layer_ms;  // by edgenas key: each distinct layer timed once
  std::vector<double> whole, sums, weights;
  for (int n = 0; n < networks; ++n) {
    const Genome g = SampleAt(space, resolution, rng);
    const NetworkSpec spec = space.Decode(g);
    Network net(spec);
    net->eval();
    const torch::Tensor input = torch::randn({1, spec.input_channels, spec.resolution, spec.resolution});
    whole.push_back(TimeRuns([&] { net->forward(input); }, TimerOptions()).median_ms);
    const std::vector<std::string> keys = LutKeys(spec, LutKeyFormat::kNative);
    double sum = 0;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i].empty()) continue;
      auto found = layer_ms.find(keys[i]);
      if (found == layer_ms.end()) {
        LayerModule layer(spec.layers[i]);
        layer->eval();
        const LayerSpec& l = spec.layers[i];
        const torch::Tensor in = torch::randn({1, l.in_channels, l.in_size, l.in_size});
        found = layer_ms.emplace(keys[i], TimeRuns([&] { layer->forward(in); }, TimerOptions()).median_ms).first;
      }
      sum += found->second;
    }
    sums.push_back(sum);
    weights.push_back(static_cast<double>(ComputeStats(spec).params) * sizeof(float) / (1 << 20));
    fmt::print("{:<50} weights {:6.2f} MiB  whole {:.3f} ms  sum {:.3f} ms  whole/sum {:.2f}\n", space.ToString(g),
               weights.back(), whole.back(), sum, whole.back() / sum);
  }
  // Correlation of whole/sum with the weights.
  const int count = static_cast<int>(whole.size());
  double mean_ratio = 0, mean_w = 0;
  for (int i = 0; i < count; ++i) {
    mean_ratio += whole[i] / sums[i] / count;
    mean_w += weights[i] / count;
  }
  double covariance = 0, var_ratio = 0, var_w = 0;
  for (int i = 0; i < count; ++i) {
    const double dr = whole[i] / sums[i] - mean_ratio, dw = weights[i] - mean_w;
    covariance += dr * dw;
    var_ratio += dr * dr;
    var_w += dw * dw;
  }
  fmt::print("correlation of whole/sum with the weights: {:.2f}\n", covariance / std::sqrt(var_ratio * var_w));

  // 2-fold cross-validation: fit on even networks, predict odd ones, and back.
  for (const bool by_weight : {false, true}) {
    int within = 0;
    for (int fold = 0; fold < 2; ++fold) {
      std::vector<double> s, w, m;
      for (int i = 0; i < count; ++i) {
        if (i % 2 == fold) continue;
        s.push_back(sums[i]);
        w.push_back(by_weight ? weights[i] : 1.0);
        m.push_back(whole[i]);
      }
      const LatencyCalibration fit = FitLatencyCalibration(s, w, m);
      for (int i = fold; i < count; i += 2) {
        const double predicted =
            (fit.scale + fit.scale_per_weight_mib * (by_weight ? weights[i] : 1.0)) * sums[i] + fit.constant;
        within += std::abs(predicted / whole[i] - 1) <= 0.10;
      }
    }
    fmt::print("{}: {:.1f}% of {} networks within ±10% in 2-fold cross-validation\n",
               by_weight ? "scale growing with the weights" : "one scale", 100.0 * within / count, count);
  }
}

}  // namespace
}  // namespace edgenas

int main(int argc, char** argv) {
  using namespace edgenas;
  CLI::App app("Why a sum of per-layer times misses a whole network's time (docs/latency.md)");
  app.require_subcommand(1);
  std::string space = "nas_bench_macro", arch;
  int resolution = 0, networks = 12, rounds = 15;
  double flush_mib = 0;
  bool glibc_default_memory = false, flush_denormal = false;
  CLI::App* layers = app.add_subcommand("layers", "Each layer alone, after an eviction, and in place");
  layers->add_option("arch", arch, "Architecture string")->required();
  layers->add_option("--flush-mib", flush_mib, "Also time each layer after evicting this many MiB");
  layers->add_flag("--glibc-default-memory", glibc_default_memory,
                   "Leave glibc's allocator as it is (measure and validate keep freed memory)");
  layers->add_flag("--flush-denormal", flush_denormal, "Flush denormal floats to zero");
  CLI::App* repeat = app.add_subcommand("repeat", "Time the same networks again and again");
  repeat->add_option("--rounds", rounds, "Timings per network")->capture_default_str();
  CLI::App* calibration = app.add_subcommand("calibration", "whole / sum against the weights; one scale or two");
  for (CLI::App* sub : {layers, repeat, calibration}) sub->add_option("--space,-s", space)->capture_default_str();
  for (CLI::App* sub : {repeat, calibration}) {
    sub->add_option("--resolution,-r", resolution, "Resolution of the sampled networks (default: any)");
    sub->add_option("--networks,-n", networks, "Networks to sample")->capture_default_str();
  }
  CLI11_PARSE(app, argc, argv);
  SetTorchThreads(1);
  if (!glibc_default_memory) KeepFreedMemory();
  if (flush_denormal) at::globalContext().setFlushDenormal(true);
  try {
    if (*layers) Layers(space, arch, flush_mib);
    if (*repeat) Repeat(space, resolution, networks, rounds);
    if (*calibration) Calibration(space, resolution, networks);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
