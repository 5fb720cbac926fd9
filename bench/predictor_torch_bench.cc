// The published OFA predictor's forward pass in LibTorch, on the same batches
// as predictor_bench's Eigen path: the measurement behind choosing Eigen for
// inference (predictors/accuracy_predictor.h).
//   ./build/bench/predictor_torch_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <fstream>
#include <iterator>

#include "common/file_util.h"
#include "models/torch_process.h"
#include "accuracy/feature_encoder.h"
#include "space/space_loader.h"

namespace edgenas {
namespace {

// Arguments: batch size, threads. Includes encoding, as the Eigen path does.
void BM_TorchOfaPredictBatch(benchmark::State& state) {
  SetTorchThreads(static_cast<int>(state.range(1)));
  const SearchSpace space = LoadSpace("ofa_mbv3_w1.2");
  const FeatureEncoder encoder(space, FeatureEncoding::kOfaMbv3);
  const std::string bytes = ReadFile(DataRoot() + "/predictors/trained/ofa_mbv3_w1.2/mlp_0.pt");
  const auto dict = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end())).toGenericDict();
  const auto w = [&](const char* key) { return dict.at(key).toTensor(); };
  Rng rng(1);
  std::vector<Genome> genomes;
  for (int i = 0; i < state.range(0); ++i) genomes.push_back(space.Sample(rng));
  torch::NoGradGuard no_grad;
  std::vector<int> active(encoder.max_active());
  for (auto _ : state) {
    torch::Tensor x = torch::zeros({state.range(0), encoder.num_features()});
    float* data = x.data_ptr<float>();
    for (size_t i = 0; i < genomes.size(); ++i) {
      const int n = encoder.ActiveFeatures(genomes[i], active.data());
      for (int k = 0; k < n; ++k) data[i * encoder.num_features() + active[k]] = 1.0f;
    }
    torch::Tensor h = torch::relu(torch::linear(x, w("0.weight"), w("0.bias")));
    h = torch::relu(torch::linear(h, w("2.weight"), w("2.bias")));
    h = torch::relu(torch::linear(h, w("4.weight"), w("4.bias")));
    h = torch::linear(h, w("6.weight"), w("6.bias"));
    benchmark::DoNotOptimize(h.data_ptr<float>());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_TorchOfaPredictBatch)->Args({100, 1})->Args({100, 2})->Args({1000, 2})->UseRealTime();

}  // namespace
}  // namespace edgenas
