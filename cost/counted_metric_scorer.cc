#include "cost/counted_metric_scorer.h"

#include "space/network_stats.h"

namespace edgenas {

void CountedMetricScorer::Score(const Genome* genomes, size_t n, double* values) const {
  for (size_t i = 0; i < n; ++i) {
    const NetworkStats stats = ComputeStats(space_.Decode(genomes[i]));
    switch (metric_) {
      case CountedMetric::kMacs: values[i] = static_cast<double>(stats.macs); break;
      case CountedMetric::kParams: values[i] = static_cast<double>(stats.params); break;
      case CountedMetric::kPeakMemory: values[i] = static_cast<double>(stats.peak_activations); break;
    }
  }
}

}  // namespace edgenas
