// A network's cost on a device from a hardware profile's lookup tables: the sum
// of its layers' table entries (latency in ms, or energy in mJ).
//
// The tables are compiled once per job into flat arrays indexed by
// (resolution, block slot, choice), so scoring a genome is a few dozen array
// reads and no string work:
//   sum(g)    = fixed[r] + sum over the block slots in use of block[r][slot][choice]
//   weight(g) = the same sum over the layers' weights in MiB, stored beside the entries
//   cost(g)   = (scale[r] + scale_per_weight_mib[r] * weight(g)) * sum(g) + constant[r]
// where fixed[r] holds the stem and head layers, per choice of the last stage's
// width when the space offers one (the head reads it; HardwareProfile's CostTable
// says where scale, scale_per_weight_mib and constant come from).
// Every key the space can need is looked up at construction: a missing one is
// reported then, with the device, the space and the exact keys, never mid-search
// (or, when asked, estimated from its neighbours in channel count; see
// lut_interpolation.h).
//
// Thread safety: immutable after construction; Cost and Score may run concurrently.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cost/hardware_profile.h"
#include "space/scorer.h"
#include "space/search_space.h"

namespace edgenas {

struct CostModelOptions {
  // Compile only these resolutions (empty: all of the space's); genomes at
  // other resolutions must not be scored.
  std::vector<int> resolutions;
  // Estimate a key the table lacks from its neighbours in channel count
  // instead of failing. Each estimate is listed in LutCostModel::estimated().
  bool interpolate_missing = false;
};

// A table entry the model estimated because the table lacks the key.
struct EstimatedKey {
  std::string key;
  int resolution = 0;
  double cost = 0;
  std::vector<std::string> neighbours;  // the keys it was estimated from
};

class LutCostModel : public Scorer {
 public:
  // The space is borrowed and must outlive the model. Throws Error if the
  // profile lacks the metric, a resolution, or a key (that has no neighbour to
  // interpolate from, when options.interpolate_missing).
  LutCostModel(const SearchSpace& space, const HardwareProfile& profile, const std::string& metric,
               const CostModelOptions& options = {});

  double Cost(const Genome& genome) const;
  // values[i] = Cost(genomes[i]).
  void Score(const Genome* genomes, size_t n, double* values) const override;
  // A few dozen array reads per genome.
  bool cheap() const override { return true; }
  // The cost of each layer of space.Decode(genome), for breakdowns. The
  // profile's per-network constant belongs to no layer: Cost() minus their sum.
  std::vector<double> LayerCosts(const Genome& genome) const;

  // The network's float32 weights in MiB, the W of the profile's scale.
  double WeightMib(const Genome& genome) const;

  const std::string& unit() const { return unit_; }
  const std::string& device() const { return device_; }
  // The entries estimated rather than read, sorted by resolution and key;
  // empty unless options.interpolate_missing.
  const std::vector<EstimatedKey>& estimated() const { return estimated_; }

 private:
  // Cost(), with BlockSlot::Choice<kStageGenes> (false for spaces without stage choices).
  template <bool kStageGenes>
  double CostOf(const Genome& genome) const;
  // Fills the entries of one resolution, reading each layer's key through `lookup`.
  void CompileResolution(size_t resolution_index, LutKeyFormat format,
                         const std::function<double(const std::string&, const LayerSpec&)>& lookup);

  const SearchSpace& space_;
  std::string device_;
  std::string unit_;
  std::vector<BlockSlot> slots_;  // the space's, copied beside the entries they index
  int max_choices_ = 0;
  std::vector<char> compiled_;   // per resolution index of the space
  int head_gene_ = -1;           // SearchSpace::head_gene()
  size_t num_head_choices_ = 1;  // SearchSpace::NumHeadChoices()
  // Index of the genome's fixed_ entry: [resolution][head choice].
  size_t FixedIndex(const Genome& genome) const {
    return genome.genes[0] * num_head_choices_ + (head_gene_ < 0 ? 0 : genome.genes[head_gene_]);
  }
  std::vector<double> fixed_;    // [resolution][head choice]
  struct Entry {
    double cost = 0;        // the table's entry
    double weight_mib = 0;  // the layer's weights
  };
  std::vector<Entry> block_;     // [(resolution * slots + slot) * max_choices + choice]
  std::vector<double> layer_fixed_;  // [resolution][head choice][stem and head layer], for LayerCosts
  std::vector<double> scale_, scale_per_weight_mib_, constant_;  // [resolution]
  std::vector<double> fixed_weight_mib_;  // [resolution][head choice], like fixed_
  std::vector<EstimatedKey> estimated_;
};

}  // namespace edgenas
