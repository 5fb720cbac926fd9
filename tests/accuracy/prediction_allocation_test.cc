// Batched prediction must not allocate per candidate. This binary replaces the
// global operator new to count allocations, so it is a test program of its own.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "accuracy/predictor_file.h"
#include "space/space_loader.h"

namespace {
std::atomic<long> allocations{0};
}

void* operator new(size_t size) {
  ++allocations;
  if (void* p = std::malloc(size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace edgenas {
namespace {

TEST(PredictionAllocation, NoneOnceTheWorkspacesExist) {
  const SearchSpace space = LoadSpace("ofa_mbv3_w1.2");
  const LoadedPredictor loaded = LoadPredictor("ofa_mbv3_w1.2", space);
  Rng rng(5);
  std::vector<Genome> genomes;
  for (int i = 0; i < 320; ++i) genomes.push_back(space.Sample(rng));
  std::vector<AccuracyPrediction> out(genomes.size());
  // Warm-up: every worker thread makes its workspace once.
  for (int i = 0; i < 20; ++i) loaded.predictor->Predict(genomes.data(), genomes.size(), out.data());
  const long before = allocations.load();
  loaded.predictor->Predict(genomes.data(), 32, out.data());
  const long one_tile = allocations.load() - before;
  loaded.predictor->Predict(genomes.data(), genomes.size(), out.data());
  const long ten_tiles = allocations.load() - before - one_tile;
  EXPECT_EQ(one_tile, 0);
  EXPECT_EQ(ten_tiles, 0);
}

}  // namespace
}  // namespace edgenas
