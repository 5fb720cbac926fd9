// MACs, parameters or peak activation memory of a network, counted from its
// decoded layers (space/network_stats.h), as a Scorer.
//
// Thread safety: immutable; Score may run concurrently.
#pragma once

#include "space/scorer.h"
#include "space/search_space.h"

namespace edgenas {

enum class CountedMetric { kMacs, kParams, kPeakMemory };

class CountedMetricScorer : public Scorer {
 public:
  // The space is borrowed and must outlive the scorer.
  CountedMetricScorer(const SearchSpace& space, CountedMetric metric) : space_(space), metric_(metric) {}

  void Score(const Genome* genomes, size_t n, double* values) const override;
  // Decoding and counting one network takes about a microsecond.
  bool cheap() const override { return true; }

 private:
  const SearchSpace& space_;
  CountedMetric metric_;
};

}  // namespace edgenas
