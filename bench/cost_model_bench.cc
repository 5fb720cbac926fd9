// Scoring rate of the compiled lookup-table cost model (target: at least 10
// million OFA architectures per second per core).
//   ./build/bench/cost_model_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include "cost/lut_cost_model.h"
#include "space/space_loader.h"

namespace edgenas {
namespace {

void BM_Note10LatencyBatch(benchmark::State& state) {
  const SearchSpace space = LoadSpace("ofa_mbv3_w1.2");
  const LutCostModel model(space, LoadHardwareProfile(BuiltinProfileFolder("note10")), "latency");
  Rng rng(1);
  std::vector<Genome> genomes;
  for (int i = 0; i < 1000; ++i) genomes.push_back(space.Sample(rng));
  std::vector<double> costs(genomes.size());
  for (auto _ : state) {
    model.Score(genomes.data(), genomes.size(), costs.data());
    benchmark::DoNotOptimize(costs.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(genomes.size()));
}
BENCHMARK(BM_Note10LatencyBatch);

void BM_CompileNote10(benchmark::State& state) {
  const SearchSpace space = LoadSpace("ofa_mbv3_w1.2");
  const HardwareProfile profile = LoadHardwareProfile(BuiltinProfileFolder("note10"));
  for (auto _ : state) benchmark::DoNotOptimize(LutCostModel(space, profile, "latency").unit().size());
}
BENCHMARK(BM_CompileNote10)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace edgenas
