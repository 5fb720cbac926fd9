#include "cost/lut_cost_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <tuple>

#include "common/error.h"
#include "cost/lut_interpolation.h"
#include "cost/lut_keys.h"
#include "space/network_stats.h"

namespace edgenas {

namespace {

// A layer's float32 weights in MiB.
double LayerWeightMib(const LayerSpec& layer) {
  return static_cast<double>(ComputeLayerStats(layer).params) * sizeof(float) / (1 << 20);
}

// One resolution's table entries by key. A key the table lacks is estimated
// from its channel neighbours when asked (each estimate listed once), or noted
// as missing.
class EntryLookup {
 public:
  EntryLookup(const std::unordered_map<std::string, double>& entries, LutKeyFormat format, int resolution,
              bool interpolate, std::vector<EstimatedKey>* estimated, std::vector<std::string>* missing)
      : entries_(entries), format_(format), resolution_(resolution), interpolate_(interpolate),
        estimated_(estimated), missing_(missing) {}

  double operator()(const std::string& key, const LayerSpec& layer) {
    if (key.empty()) return 0.0;  // identities cost nothing
    const auto hit = entries_.find(key);
    if (hit != entries_.end()) return hit->second;
    if (interpolate_) {
      const auto known = estimates_.find(key);
      if (known != estimates_.end()) return known->second;
      if (!interpolator_) interpolator_ = std::make_unique<LutInterpolator>(entries_, format_);
      if (const std::optional<EstimatedEntry> estimate = interpolator_->Estimate(key, layer)) {
        estimates_[key] = estimate->cost;
        estimated_->push_back({key, resolution_, estimate->cost, estimate->neighbours});
        return estimate->cost;
      }
    }
    missing_->push_back(fmt::format("{} (resolution {})", key, resolution_));
    return 0.0;
  }

 private:
  const std::unordered_map<std::string, double>& entries_;
  LutKeyFormat format_;
  int resolution_;
  bool interpolate_;
  std::vector<EstimatedKey>* estimated_;
  std::vector<std::string>* missing_;
  std::unique_ptr<LutInterpolator> interpolator_;  // made on the first missing key
  std::map<std::string, double> estimates_;        // by key
};

}  // namespace

LutCostModel::LutCostModel(const SearchSpace& space, const HardwareProfile& profile, const std::string& metric,
                           const CostModelOptions& options)
    : space_(space),
      device_(profile.device),
      slots_(space.block_slots()),
      head_gene_(space.head_gene()),
      num_head_choices_(space.NumHeadChoices()) {
  const std::vector<int>& resolutions = options.resolutions;
  const auto found = profile.metrics.find(metric);
  EDGENAS_THROW_IF_NOT_FMT(found != profile.metrics.end(), "hardware profile '{}' has no {} tables", profile.device,
                           metric);
  const CostTable& table = found->second;
  unit_ = table.unit;

  const SpaceSpec& spec = space.spec();
  for (const BlockSlot& slot : slots_) max_choices_ = std::max(max_choices_, slot.num_choices);

  const size_t num_resolutions = spec.resolutions.size();
  const size_t num_fixed = spec.stem.size() + spec.head.size();
  compiled_.assign(num_resolutions, 0);
  fixed_.assign(num_resolutions * num_head_choices_, 0.0);
  layer_fixed_.assign(num_resolutions * num_head_choices_ * num_fixed, 0.0);
  block_.assign(num_resolutions * slots_.size() * max_choices_, Entry{});
  scale_.assign(num_resolutions, 1.0);
  scale_per_weight_mib_.assign(num_resolutions, 0.0);
  constant_.assign(num_resolutions, 0.0);
  fixed_weight_mib_.assign(num_resolutions * num_head_choices_, 0.0);
  std::vector<std::string> missing;

  for (size_t ri = 0; ri < num_resolutions; ++ri) {
    const int r = spec.resolutions[ri];
    if (!resolutions.empty() && std::find(resolutions.begin(), resolutions.end(), r) == resolutions.end()) continue;
    const std::unordered_map<std::string, double>* entries = table.ForResolution(r);
    if (entries == nullptr) {
      std::vector<int> have;
      for (const auto& [resolution, unused] : table.by_resolution) have.push_back(resolution);
      EDGENAS_THROW_FMT("hardware profile '{}' has no {} table for resolution {} of space '{}' (it has {})",
                        profile.device, metric, r, space.name(), fmt::join(have, ", "));
    }
    compiled_[ri] = 1;
    scale_[ri] = table.ScaleFor(r);
    scale_per_weight_mib_[ri] = table.ScalePerWeightMibFor(r);
    constant_[ri] = table.ConstantFor(r);
    EntryLookup lookup(*entries, profile.key_format, r, options.interpolate_missing, &estimated_, &missing);
    CompileResolution(ri, profile.key_format, [&lookup](const std::string& key, const LayerSpec& layer) { return lookup(key, layer); });
  }
  if (!missing.empty()) {
    std::sort(missing.begin(), missing.end());
    missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
    const size_t shown = std::min<size_t>(missing.size(), 10);
    EDGENAS_THROW_FMT("hardware profile '{}' cannot cost space '{}': {} {} table key(s) missing{}: {}{}",
                      profile.device, space.name(), missing.size(), metric,
                      options.interpolate_missing ? " with no neighbour in channel count to interpolate from" : "",
                      fmt::join(missing.begin(), missing.begin() + shown, ", "), shown < missing.size() ? ", ..." : "");
  }
  std::sort(estimated_.begin(), estimated_.end(), [](const EstimatedKey& a, const EstimatedKey& b) {
    return std::tie(a.resolution, a.key) < std::tie(b.resolution, b.key);
  });
}

// The stem and head layers' entries (summed into fixed_, per head choice) and
// every block slot's entry per choice, at resolution index ri: each layer is
// probed in the deepest network, where every slot is in use.
void LutCostModel::CompileResolution(size_t ri, LutKeyFormat format,
                                     const std::function<double(const std::string&, const LayerSpec&)>& lookup) {
  const SpaceSpec& spec = space_.spec();
  const size_t num_fixed = spec.stem.size() + spec.head.size();
  const Genome genome = space_.DeepestGenome(static_cast<int>(ri));
  for (size_t h = 0; h < num_head_choices_; ++h) {
    Genome probe = genome;
    space_.SetHeadChoice(&probe, static_cast<int>(h));
    const NetworkSpec net = space_.Decode(probe);
    const std::vector<std::string> keys = LutKeys(net, format);
    const size_t fi = ri * num_head_choices_ + h;
    for (size_t i = 0; i < num_fixed; ++i) {
      const size_t layer = i < spec.stem.size() ? i : keys.size() - num_fixed + i;
      layer_fixed_[fi * num_fixed + i] = lookup(keys[layer], net.layers[layer]);
      fixed_[fi] += layer_fixed_[fi * num_fixed + i];
      fixed_weight_mib_[fi] += LayerWeightMib(net.layers[layer]);
    }
  }
  for (size_t k = 0; k < slots_.size(); ++k) {
    Genome probe = genome;
    for (int c = 0; c < slots_[k].num_choices; ++c) {
      space_.SetSlotChoice(&probe, slots_[k].stage, slots_[k].block, c);
      const NetworkSpec probe_net = space_.Decode(probe);
      const std::vector<std::string> probe_keys = LutKeys(probe_net, format);
      const LayerSpec& layer = probe_net.layers[spec.stem.size() + k];
      block_[(ri * slots_.size() + k) * max_choices_ + c] = {lookup(probe_keys[spec.stem.size() + k], layer),
                                                             LayerWeightMib(layer)};
    }
  }
}

double LutCostModel::WeightMib(const Genome& genome) const {
  const size_t ri = genome.genes[0];
  EDGENAS_ASSERT(compiled_[ri]);
  const Entry* block = &block_[ri * slots_.size() * max_choices_];
  double weight_mib = fixed_weight_mib_[FixedIndex(genome)];
  for (const BlockSlot& slot : slots_) {
    if (slot.InUse(genome)) weight_mib += block[slot.Choice(genome)].weight_mib;
    block += max_choices_;
  }
  return weight_mib;
}

double LutCostModel::Cost(const Genome& genome) const {
  return space_.has_stage_choices() ? CostOf<true>(genome) : CostOf<false>(genome);
}

template <bool kStageGenes>
double LutCostModel::CostOf(const Genome& genome) const {
  const size_t ri = genome.genes[0];
  EDGENAS_ASSERT(compiled_[ri]);
  const Entry* block = &block_[ri * slots_.size() * max_choices_];
  const size_t fi = FixedIndex(genome);
  double sum = fixed_[fi], weight_mib = fixed_weight_mib_[fi];
  for (const BlockSlot& slot : slots_) {
    if (slot.InUse(genome)) {
      const Entry& entry = block[slot.Choice<kStageGenes>(genome)];
      sum += entry.cost;
      weight_mib += entry.weight_mib;
    }
    block += max_choices_;
  }
  return (scale_[ri] + scale_per_weight_mib_[ri] * weight_mib) * sum + constant_[ri];
}

void LutCostModel::Score(const Genome* genomes, size_t n, double* values) const {
  if (space_.has_stage_choices()) {
    for (size_t i = 0; i < n; ++i) values[i] = CostOf<true>(genomes[i]);
  } else {
    for (size_t i = 0; i < n; ++i) values[i] = CostOf<false>(genomes[i]);
  }
}

std::vector<double> LutCostModel::LayerCosts(const Genome& genome) const {
  const size_t ri = genome.genes[0];
  EDGENAS_ASSERT(compiled_[ri]);
  const SpaceSpec& spec = space_.spec();
  const size_t num_fixed = spec.stem.size() + spec.head.size();
  const size_t fi = FixedIndex(genome);
  std::vector<double> costs(layer_fixed_.begin() + fi * num_fixed, layer_fixed_.begin() + fi * num_fixed + spec.stem.size());
  for (size_t k = 0; k < slots_.size(); ++k) {
    if (slots_[k].InUse(genome)) costs.push_back(block_[(ri * slots_.size() + k) * max_choices_ + slots_[k].Choice(genome)].cost);
  }
  costs.insert(costs.end(), layer_fixed_.begin() + fi * num_fixed + spec.stem.size(),
               layer_fixed_.begin() + (fi + 1) * num_fixed);
  const double scale = scale_[ri] + scale_per_weight_mib_[ri] * WeightMib(genome);
  for (double& cost : costs) cost *= scale;
  return costs;
}

}  // namespace edgenas
