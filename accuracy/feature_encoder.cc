#include "accuracy/feature_encoder.h"

#include "common/error.h"

namespace edgenas {
namespace {

constexpr int kOfaResolutionBits = 8;  // resolutions 112, 128, ..., 224

}  // namespace

const char* FeatureEncodingToString(FeatureEncoding encoding) {
  return encoding == FeatureEncoding::kOfaMbv3 ? "ofa_mbv3" : "one_hot";
}

bool StringToFeatureEncoding(const std::string& name, FeatureEncoding* encoding) {
  for (FeatureEncoding candidate : {FeatureEncoding::kOneHot, FeatureEncoding::kOfaMbv3}) {
    if (name == FeatureEncodingToString(candidate)) {
      *encoding = candidate;
      return true;
    }
  }
  return false;
}

FeatureEncoding FeatureEncoder::DefaultFor(const SearchSpace& space) {
  return space.name().rfind("ofa_mbv3", 0) == 0 ? FeatureEncoding::kOfaMbv3 : FeatureEncoding::kOneHot;
}

FeatureEncoder::FeatureEncoder(const SearchSpace& space, FeatureEncoding encoding)
    : space_(space), encoding_(encoding) {
  const SpaceSpec& spec = space.spec();
  const std::vector<Gene>& genes = space.genes();
  for (size_t s = 0; s < spec.stages.size(); ++s) {
    for (int b = 0; b < spec.stages[s].max_depth(); ++b) {
      SlotFeatures slot;
      slot.stage = static_cast<int>(s);
      slot.block = b;
      const int gene = space.block_gene(slot.stage, b);
      if (space.factored()) {
        slot.kernel_gene = gene;
        slot.expand_gene = gene + 1;
      } else {
        slot.op_gene = gene;
      }
      slots_.push_back(slot);
    }
  }
  // Kernels, then expand ratios, then operators: Once-for-All's order.
  for (SlotFeatures& slot : slots_) {
    if (slot.kernel_gene >= 0 && genes[slot.kernel_gene].cardinality > 1) {
      slot.kernel_base = num_features_;
      num_features_ += genes[slot.kernel_gene].cardinality;
      ++max_active_;
    }
  }
  for (SlotFeatures& slot : slots_) {
    if (slot.expand_gene >= 0 && genes[slot.expand_gene].cardinality > 1) {
      slot.expand_base = num_features_;
      num_features_ += genes[slot.expand_gene].cardinality;
      ++max_active_;
    }
  }
  for (SlotFeatures& slot : slots_) {
    if (slot.op_gene < 0) continue;
    // One bit per operator of the stage's list, so that an operator keeps its
    // meaning when canonical compaction moves it to another slot.
    slot.op_base = num_features_;
    num_features_ += static_cast<int>(spec.stages[slot.stage].operators.size());
    ++max_active_;
  }
  for (size_t i = 0; i < genes.size(); ++i) {
    const GeneKind kind = genes[i].kind;
    if (kind != GeneKind::kWidth && kind != GeneKind::kSE && kind != GeneKind::kActivation) continue;
    stage_genes_.emplace_back(static_cast<int>(i), num_features_);
    num_features_ += genes[i].cardinality;
    ++max_active_;
  }

  if (encoding == FeatureEncoding::kOfaMbv3) {
    bool ok = space.factored() && !space.has_stage_choices() && slots_.size() == 20;
    for (const StageSpec& stage : spec.stages) {
      ok = ok && stage.kernels == std::vector<int>{3, 5, 7} && stage.expand_ratios == std::vector<double>{3, 4, 6};
    }
    for (int r : spec.resolutions) ok = ok && r >= 112 && r < 112 + 16 * kOfaResolutionBits;
    EDGENAS_THROW_IF_NOT_FMT(ok,
                             "space '{}' does not fit the ofa_mbv3 encoding (it needs 20 block slots with kernels "
                             "{{3,5,7}}, expand ratios {{3,4,6}} and resolutions from 112 to 239)",
                             space.name());
    resolution_base_ = num_features_;
    num_features_ += kOfaResolutionBits;
    ++max_active_;
  } else if (spec.resolutions.size() > 1) {
    resolution_base_ = num_features_;
    num_features_ += static_cast<int>(spec.resolutions.size());
    ++max_active_;
  }
}

int FeatureEncoder::ActiveFeatures(const Genome& genome, int* active) const {
  const SpaceSpec& spec = space_.spec();
  const std::vector<Gene>& genes = space_.genes();
  int n = 0;
  if (space_.factored()) {
    for (const SlotFeatures& slot : slots_) {
      if (slot.kernel_base < 0 || slot.block >= space_.Depth(genome, slot.stage)) continue;
      active[n++] = slot.kernel_base + genome.genes[slot.kernel_gene];
    }
    for (const SlotFeatures& slot : slots_) {
      if (slot.expand_base < 0 || slot.block >= space_.Depth(genome, slot.stage)) continue;
      active[n++] = slot.expand_base + genome.genes[slot.expand_gene];
    }
  } else {
    // The canonical form without building it: identities set no bit and the
    // other layers of a stage fill its slots in order, from its first slot.
    // (A layer that changes the shape is never the identity, so it keeps its slot.)
    size_t next_slot = 0;
    for (size_t i = 0; i < slots_.size(); ++i) {
      const SlotFeatures& slot = slots_[i];
      if (slot.block == 0) next_slot = i;
      const int position = genes[slot.op_gene].allowed_operators[genome.genes[slot.op_gene]];
      const StageSpec& stage = spec.stages[slot.stage];
      const bool identity = spec.operators[stage.operators[position]].op == LayerOp::kIdentity &&
                            space_.PreservesShape(slot.stage, slot.block);
      if (identity) continue;
      active[n++] = slots_[next_slot++].op_base + position;
    }
  }
  for (const auto& [gene, base] : stage_genes_) active[n++] = base + genome.genes[gene];
  if (resolution_base_ >= 0) {
    const int bit = encoding_ == FeatureEncoding::kOfaMbv3 ? (space_.Resolution(genome) - 112) / 16
                                                            : genome.genes[space_.resolution_gene()];
    active[n++] = resolution_base_ + bit;
  }
  return n;
}

std::vector<float> FeatureEncoder::Dense(const Genome& genome) const {
  std::vector<int> active(max_active_);
  const int n = ActiveFeatures(genome, active.data());
  std::vector<float> dense(num_features_, 0.0f);
  for (int i = 0; i < n; ++i) dense[active[i]] = 1.0f;
  return dense;
}

}  // namespace edgenas
