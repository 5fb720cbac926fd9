// Training throughput, side by side with PyTorch eager (Debian's python3-torch)
// on the same network, batch and thread count, in one run. Not a test.
//
//   ./build/bench/train_bench --space nas_bench_macro --arch 11111111 [--rounds 3]
//
// For each thread count (1, 2) and round, times in turn: edgenas's training
// step (LibTorch, channels-last, the trainer's optimizer and loss),
// PyTorch's in NCHW and channels-last (tools/torch_reference.py train-speed),
// each with glibc's default allocator and with the settings edgenas uses
// (glibc's MALLOC_*_ variables, the same as KeepFreedMemory). Interleaving puts the
// machine's drift on all alike; it prints the median images/s of each.
#include <fmt/format.h>
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "common/file_util.h"
#include "common/statistics.h"
#include "models/network_builder.h"
#include "models/torch_process.h"
#include "space/space_loader.h"

namespace {

using namespace edgenas;
using Clock = std::chrono::steady_clock;

// Images per second of training steps on random data, the median of
// `repeats` timings of `steps` steps after `warmup` steps.
struct Timing {
  int batch = 128;
  int warmup = 3;
  int steps = 10;
  int repeats = 5;
};

double EdgenasImagesPerSecond(const NetworkSpec& spec, const Timing& t, int threads) {
  const int batch = t.batch;
  SetTorchThreads(threads);
  torch::manual_seed(0);
  Network net(spec);
  ToChannelsLast(net);
  torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9).nesterov(true).weight_decay(4e-5));
  const torch::Tensor x = torch::randn({batch, spec.input_channels, spec.resolution, spec.resolution})
                              .contiguous(torch::MemoryFormat::ChannelsLast);
  const torch::Tensor y = torch::randint(0, 10, {batch}, torch::kLong);
  net->train();
  const auto step = [&] {
    sgd.zero_grad();
    torch::Tensor loss = torch::nn::functional::cross_entropy(
        net->forward(x), y, torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(0.1));
    loss.backward();
    sgd.step();
  };
  for (int i = 0; i < t.warmup; ++i) step();
  std::vector<double> rates;
  for (int r = 0; r < t.repeats; ++r) {
    const auto start = Clock::now();
    for (int i = 0; i < t.steps; ++i) step();
    rates.push_back(batch * t.steps / std::chrono::duration<double>(Clock::now() - start).count());
  }
  return Median(rates);
}

double PythonImagesPerSecond(const std::string& layers, const Timing& t, int threads, bool channels_last,
                             bool tuned_malloc) {
  const std::string env = tuned_malloc
                              ? "MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=1073741824 "
                                "MALLOC_TOP_PAD_=67108864 "
                              : "";
  const std::string command = fmt::format(
      "{}/usr/bin/python3 {}/tools/torch_reference.py train-speed {} --threads {} --batch {} --warmup {} --steps {} "
      "--repeats {}{}",
      env, EDGENAS_SOURCE_ROOT, layers, threads, t.batch, t.warmup, t.steps, t.repeats,
      channels_last ? " --channels-last" : "");
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[64] = {};
  const bool read = pipe != nullptr && fgets(buffer, sizeof buffer, pipe) != nullptr;
  const int status = pipe != nullptr ? pclose(pipe) : -1;
  if (!read || status != 0) {
    fmt::print(stderr, "failed: {}\n", command);
    return 0;
  }
  return std::stod(buffer);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Training throughput of edgenas (LibTorch) and PyTorch eager on the same network"};
  // The reference network of the small-input space: MobileNetV3's pattern of ReLU
  // without SE early, h-swish with SE later.
  std::string space_name = "mbv3_small_input", arch = "r28-k33.555.555-e33.333.333-w24.40.64-s0.1.1-ar.h.h";
  int rounds = 3;
  Timing t;
  app.add_option("--space", space_name);
  app.add_option("--arch", arch);
  app.add_option("--rounds", rounds, "Interleaved rounds");
  app.add_option("--batch", t.batch);
  app.add_option("--warmup", t.warmup, "Untimed steps before timing");
  app.add_option("--steps", t.steps, "Steps per timing");
  app.add_option("--repeats", t.repeats, "Timings per measurement (median)");
  CLI11_PARSE(app, argc, argv);
  KeepFreedMemory();
  const SearchSpace space = LoadSpace(space_name);
  NetworkSpec spec = space.Decode(space.Parse(arch));
  spec.layers.back().out_channels = 10;
  const std::string layers = "/tmp/edgenas_train_bench_layers.json";
  const std::string describe = fmt::format("{} arch describe --json --space {} '{}' > {}", EDGENAS_BINARY, space_name,
                                           arch, layers);
  if (std::system(describe.c_str()) != 0) return 1;

  fmt::print("{} {} at {}x{}, batch {}, {} rounds; images/s, median\n", space_name, arch, spec.resolution,
             spec.resolution, t.batch, rounds);
  fmt::print("PyTorch twice: with glibc's default allocator, and with edgenas's (tuned)\n");
  fmt::print("{:>7} {:>12} {:>12} {:>12} {:>18} {:>18}\n", "threads", "edgenas CL", "PyTorch NCHW", "PyTorch CL",
             "PyTorch NCHW tuned", "PyTorch CL tuned");
  for (int threads : {1, 2}) {
    std::vector<double> ours, nchw, cl, nchw_tuned, cl_tuned;
    for (int r = 0; r < rounds; ++r) {
      ours.push_back(EdgenasImagesPerSecond(spec, t, threads));
      nchw.push_back(PythonImagesPerSecond(layers, t, threads, false, false));
      cl.push_back(PythonImagesPerSecond(layers, t, threads, true, false));
      nchw_tuned.push_back(PythonImagesPerSecond(layers, t, threads, false, true));
      cl_tuned.push_back(PythonImagesPerSecond(layers, t, threads, true, true));
    }
    fmt::print("{:>7} {:>12.1f} {:>12.1f} {:>12.1f} {:>18.1f} {:>18.1f}\n", threads, Median(ours), Median(nchw),
               Median(cl), Median(nchw_tuned), Median(cl_tuned));
    std::fflush(stdout);
  }
  return 0;
}
