// The Once-for-All tutorial search (recipes/ofa_note10_25ms.yaml: 100 x 500
// generations, 50,100 candidates). Target: at most 0.3 s on this 2-core
// machine, 20x the reference Python implementation's 6.5 s. Beside it, the
// floor: the predictor's arithmetic alone, a plain dense Eigen forward pass of
// the same MLP over 50,100 inputs on 2 threads; and the whole `edgenas search`
// process. docs/search.md has the figures.
//   ./build/bench/search_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <Eigen/Core>
#include <filesystem>

#include "common/file_util.h"
#include "accuracy/predictor_file.h"
#include "job/job.h"
#include "space/space_loader.h"

namespace edgenas {
namespace {

const std::string kRecipe = DataRoot() + "/recipes/ofa_note10_25ms.yaml";

// The search alone: recipe, space, predictor and tables are loaded outside the timing.
void BM_OfaTutorialSearch(benchmark::State& state) {
  tbb::global_control threads(tbb::global_control::max_allowed_parallelism, state.range(0));
  const Job job(LoadRecipe(kRecipe));
  double accuracy = 0, distinct = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Evaluator evaluator(job.space(), job.EvaluatorOptions());  // an empty cache each time
    SearchEngine engine(job.space(), evaluator, job.SearchOptions());
    state.ResumeTiming();
    const SearchResult r = engine.Run();
    accuracy = r.best.scores->values[0];
    distinct = static_cast<double>(evaluator.distinct_networks_scored());
  }
  state.counters["accuracy_%"] = accuracy;
  state.counters["distinct_networks"] = distinct;  // predicted; the rest were cache hits
}
BENCHMARK(BM_OfaTutorialSearch)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// The floor: 50,100 dense 128-feature inputs through the published MLP with
// plain Eigen products, split over 2 threads.
void BM_PredictorArithmeticFloor(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  tbb::global_control control(tbb::global_control::max_allowed_parallelism, threads);
  const SearchSpace space = LoadSpace("ofa_mbv3_w1.2");
  const LoadedPredictor loaded = LoadPredictor("ofa_mbv3_w1.2", space);
  const Mlp& mlp = loaded.predictor->members()[0];
  const int n = 50100;
  Rng rng(1);
  Eigen::MatrixXf x = Eigen::MatrixXf::Zero(128, n);
  for (int j = 0; j < n; ++j) {
    const std::vector<float> dense = loaded.predictor->encoder().Dense(space.Sample(rng));
    x.col(j) = Eigen::Map<const Eigen::VectorXf>(dense.data(), 128);
  }
  // Chunks of 1000 columns per thread keep the activations in cache; the
  // buffers are made once.
  constexpr int kChunk = 1000;
  std::vector<std::vector<Eigen::MatrixXf>> buffers(threads);
  for (auto& b : buffers) {
    for (const Eigen::MatrixXf& w : mlp.weights) b.emplace_back(w.rows(), kChunk);
  }
  for (auto _ : state) {
    tbb::parallel_for(0, threads, [&](int t) {
      std::vector<Eigen::MatrixXf>& h = buffers[t];
      for (int begin = n * t / threads; begin < n * (t + 1) / threads; begin += kChunk) {
        const int cols = std::min(kChunk, n * (t + 1) / threads - begin);
        h[0].leftCols(cols).noalias() = mlp.weights[0] * x.middleCols(begin, cols);
        for (size_t l = 0; l < mlp.weights.size(); ++l) {
          if (l > 0) h[l].leftCols(cols).noalias() = mlp.weights[l] * h[l - 1].leftCols(cols);
          h[l].leftCols(cols).colwise() += mlp.biases[l];
          if (l + 1 < mlp.weights.size()) h[l].leftCols(cols) = h[l].leftCols(cols).cwiseMax(0.0f);
        }
        benchmark::DoNotOptimize(h.back().data());
      }
    });
  }
}
BENCHMARK(BM_PredictorArithmeticFloor)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// The whole process: start, load, search, write results.
void BM_OfaSearchProcess(benchmark::State& state) {
  const std::string out = (std::filesystem::temp_directory_path() / "edgenas_search_bench").string();
  const std::string command = std::string(EDGENAS_BINARY) + " search " + kRecipe + " --quiet --output " + out;
  for (auto _ : state) {
    std::filesystem::remove_all(out);
    if (std::system(command.c_str()) != 0) state.SkipWithError("edgenas search failed");
  }
}
BENCHMARK(BM_OfaSearchProcess)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace edgenas

BENCHMARK_MAIN();
