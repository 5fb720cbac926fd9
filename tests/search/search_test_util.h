// What the search's unit tests build in code: a small space and scorers that
// need no YAML, no profile on disk and no trained predictor.
#pragma once

#include <atomic>
#include <mutex>
#include <numeric>

#include "search/evaluator.h"
#include "space/scorer.h"
#include "space/search_space.h"

namespace edgenas::testing {

// A factored (Once-for-All-like) space: 2 resolutions, 3 stages of depth 1-3,
// kernels {3, 5, 7}, expand ratios {1, 3, 6}: 2 * 3^3 * 9^9 genomes.
inline SearchSpace SmallSpace() {
  SpaceSpec spec;
  spec.name = "small";
  spec.resolutions = {32, 64};
  LayerTemplate stem;
  stem.op = LayerOp::kConv;
  stem.out_channels = 8;
  stem.kernel = 3;
  stem.stride = 2;
  stem.activation = Activation::kReLU;
  spec.stem = {stem};
  for (int s = 0; s < 3; ++s) {
    StageSpec stage;
    stage.widths = {16 * (s + 1)};
    stage.stride = s == 0 ? 1 : 2;
    stage.depths = {1, 2, 3};
    stage.kernels = {3, 5, 7};
    stage.expand_ratios = {1, 3, 6};
    spec.stages.push_back(stage);
  }
  LayerTemplate pool, linear;
  pool.op = LayerOp::kGlobalAvgPool;
  linear.op = LayerOp::kLinear;
  linear.out_channels = 10;
  linear.batch_norm = false;
  linear.bias = true;
  spec.head = {pool, linear};
  return SearchSpace(spec);
}

// value = weight . genes of the canonical genome (+ offset): a deterministic
// score every test can recompute. Counts the genomes it scored and the calls.
class LinearScorer : public Scorer {
 public:
  LinearScorer(const SearchSpace& space, std::vector<double> weights, bool cheap, double spread = 0)
      : space_(space), weights_(std::move(weights)), cheap_(cheap), spread_(spread) {}

  double Value(const Genome& genome) const {
    const Genome c = space_.Canonical(genome);
    double v = 0;
    for (size_t i = 0; i < c.genes.size(); ++i) v += weights_[i % weights_.size()] * c.genes[i];
    return v;
  }
  void Score(const Genome* genomes, size_t n, double* values) const override {
    for (size_t i = 0; i < n; ++i) values[i] = Value(genomes[i]);
    genomes_scored += n;
    ++calls;
  }
  void ScoreWithSpread(const Genome* genomes, size_t n, double* values, double* spreads) const override {
    Score(genomes, n, values);
    for (size_t i = 0; i < n; ++i) spreads[i] = spread_;
  }
  bool has_spread() const override { return spread_ > 0; }
  bool cheap() const override { return cheap_; }

  mutable std::atomic<size_t> genomes_scored{0};
  mutable std::atomic<size_t> calls{0};

 private:
  const SearchSpace& space_;
  std::vector<double> weights_;
  bool cheap_;
  double spread_;
};

}  // namespace edgenas::testing
