// Batched accuracy prediction for the search (target: at least 150,000
// OFA-size predictions per second on 2 cores), beside this machine's plain
// single-precision GEMM rate as the ceiling. docs/predictors.md has the figures.
//   ./build/bench/predictor_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <Eigen/Core>

#include "accuracy/predictor_file.h"
#include "space/space_loader.h"

namespace edgenas {
namespace {

// One search generation of OFA candidates through the published predictor.
// Arguments: batch size, threads.
void BM_OfaPredictBatch(benchmark::State& state) {
  tbb::global_control threads(tbb::global_control::max_allowed_parallelism, state.range(1));
  const SearchSpace space = LoadSpace("ofa_mbv3_w1.2");
  const LoadedPredictor loaded = LoadPredictor("ofa_mbv3_w1.2", space);
  Rng rng(1);
  std::vector<Genome> genomes;
  for (int i = 0; i < state.range(0); ++i) genomes.push_back(space.Sample(rng));
  std::vector<AccuracyPrediction> out(genomes.size());
  for (auto _ : state) {
    loaded.predictor->Predict(genomes.data(), genomes.size(), out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  // Counted as a dense MLP would compute them (the first layer is a gather here).
  state.counters["GFLOP/s"] = benchmark::Counter(loaded.predictor->FlopsPerPrediction() * 1e-9 * state.range(0),
                                                 benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_OfaPredictBatch)->Args({100, 1})->Args({100, 2})->Args({1000, 2})->UseRealTime();

// The ceiling: Eigen's single-precision GEMM on square matrices, one product
// per thread at once. Arguments: size, threads.
void BM_EigenGemm(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  tbb::global_control control(tbb::global_control::max_allowed_parallelism, threads);
  std::vector<Eigen::MatrixXf> a(threads, Eigen::MatrixXf::Random(n, n)), b(threads, Eigen::MatrixXf::Random(n, n)),
      c(threads, Eigen::MatrixXf(n, n));
  for (auto _ : state) {
    tbb::parallel_for(0, threads, [&](int t) { c[t].noalias() = a[t] * b[t]; });
    benchmark::DoNotOptimize(c[0].data());
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * n * n * n * threads * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_EigenGemm)->Args({400, 1})->Args({400, 2})->Args({1024, 1})->Args({1024, 2})->UseRealTime();

}  // namespace
}  // namespace edgenas

BENCHMARK_MAIN();
