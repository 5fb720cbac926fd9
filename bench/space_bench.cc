// Throughput of the space operations the search runs per candidate.
//   ./build/bench/space_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include "space/network_stats.h"
#include "space/space_loader.h"

namespace edgenas {
namespace {

void BM_SampleMutateCrossover(benchmark::State& state) {
  const SearchSpace space = LoadSpace("ofa_mbv3_w1.2");
  Rng rng(1);
  Genome a = space.Sample(rng), b = space.Sample(rng);
  for (auto _ : state) {
    space.Mutate(&a, 0.1, rng);
    Genome child = space.Crossover(a, b, rng);
    benchmark::DoNotOptimize(child);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SampleMutateCrossover);

void BM_Canonical(benchmark::State& state) {
  const SearchSpace space = LoadSpace("ofa_mbv3_w1.2");
  Rng rng(1);
  const Genome g = space.Sample(rng);
  for (auto _ : state) benchmark::DoNotOptimize(space.Canonical(g));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Canonical);

// Decode + MACs/params/memory of one OFA network, as `arch describe` does.
void BM_DecodeAndCount(benchmark::State& state) {
  const SearchSpace space = LoadSpace("ofa_mbv3_w1.2");
  Rng rng(1);
  const Genome g = space.Sample(rng);
  for (auto _ : state) benchmark::DoNotOptimize(ComputeStats(space.Decode(g)).macs);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeAndCount);

void BM_ArchStringRoundTrip(benchmark::State& state) {
  const SearchSpace space = LoadSpace("ofa_mbv3_w1.2");
  Rng rng(1);
  const Genome g = space.Sample(rng);
  for (auto _ : state) benchmark::DoNotOptimize(space.Parse(space.ToString(g)));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ArchStringRoundTrip);

void BM_LoadSpaceFile(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(LoadSpace("ofa_mbv3_w1.2").genes().size());
}
BENCHMARK(BM_LoadSpaceFile);

}  // namespace
}  // namespace edgenas
