#include "space/search_space.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "common/error.h"
#include "space/network_stats.h"

namespace edgenas {

const char* GeneKindToString(GeneKind kind) {
  switch (kind) {
    case GeneKind::kResolution: return "resolution";
    case GeneKind::kDepth: return "depth";
    case GeneKind::kWidth: return "width";
    case GeneKind::kSE: return "se";
    case GeneKind::kActivation: return "activation";
    case GeneKind::kKernel: return "kernel";
    case GeneKind::kExpand: return "expand";
    case GeneKind::kOperator: return "operator";
  }
  return "?";
}

const char* MutationScopeToString(MutationScope scope) {
  return scope == MutationScope::kPerBlock ? "per_block" : "per_gene";
}

bool StringToMutationScope(const std::string& name, MutationScope* scope) {
  for (MutationScope s : {MutationScope::kPerGene, MutationScope::kPerBlock}) {
    if (name == MutationScopeToString(s)) {
      *scope = s;
      return true;
    }
  }
  return false;
}

int MakeDivisible(double v, int divisor) {
  int rounded = std::max(divisor, static_cast<int>(v + divisor / 2.0) / divisor * divisor);
  if (rounded < 0.9 * v) rounded += divisor;
  return rounded;
}

namespace {

// Output size of a k x k conv with padding k/2 (odd k).
int OutputSize(int in_size, int stride) { return (in_size - 1) / stride + 1; }

}  // namespace

SearchSpace::SearchSpace(SpaceSpec spec) : spec_(std::move(spec)) {
  CheckStructure();
  BuildGeneLayout();
  BuildBlockSlots();
  CheckCountsFit();
}

// The largest network (highest resolution, deepest stages, last choice of
// every block) must be countable: a space whose counts overflow is refused here,
// not mid-search.
void SearchSpace::CheckCountsFit() const {
  Genome largest = DeepestGenome(static_cast<int>(spec_.resolutions.size()) - 1);
  for (const BlockSlot& slot : block_slots_) SetSlotChoice(&largest, slot.stage, slot.block, slot.num_choices - 1);
  try {
    ComputeStats(Decode(largest));
  } catch (const Error& e) {
    EDGENAS_THROW_FMT("space '{}': {}", spec_.name, e.what());
  }
}

void SearchSpace::CheckStructure() const {
  const std::string& n = spec_.name;
  EDGENAS_THROW_IF_NOT_FMT(!spec_.resolutions.empty(), "space '{}': no input resolution", n);
  EDGENAS_THROW_IF_NOT_FMT(std::adjacent_find(spec_.resolutions.begin(), spec_.resolutions.end(),
                                              std::greater_equal<int>()) == spec_.resolutions.end(),
                           "space '{}': resolutions must be ascending, each listed once", n);
  EDGENAS_THROW_IF_NOT_FMT(!spec_.stages.empty(), "space '{}': no stages", n);
  EDGENAS_THROW_IF_NOT_FMT(spec_.resolutions.size() <= 255, "space '{}': at most 255 resolutions", n);
  bool pooled = false;
  for (const LayerTemplate& t : spec_.head) {
    pooled |= t.op == LayerOp::kGlobalAvgPool;
    EDGENAS_THROW_IF_NOT_FMT(t.op != LayerOp::kLinear || pooled,
                             "space '{}': a linear head layer must come after an avgpool layer", n);
  }
  const bool first_factored = spec_.stages[0].operators.empty();
  for (size_t s = 0; s < spec_.stages.size(); ++s) {
    const StageSpec& stage = spec_.stages[s];
    const bool factored = stage.operators.empty();
    EDGENAS_THROW_IF_NOT_FMT(factored == first_factored,
                             "space '{}': stage {} mixes operator lists with kernel/expand choices; "
                             "all stages must use one kind",
                             n, s);
    EDGENAS_THROW_IF_NOT_FMT(!stage.depths.empty() && stage.depths[0] >= 1, "space '{}': stage {} needs a depth >= 1",
                             n, s);
    // A gene is one byte: a choice list longer than 255 could not be indexed.
    EDGENAS_THROW_IF_NOT_FMT(std::adjacent_find(stage.depths.begin(), stage.depths.end(), std::greater_equal<int>()) ==
                                     stage.depths.end() &&
                                 stage.max_depth() <= kMaxStageDepth,
                             "space '{}': stage {} depths must be ascending, each listed once, at most {}", n, s,
                             kMaxStageDepth);
    const auto unique = [](auto values) {
      std::sort(values.begin(), values.end());
      return std::adjacent_find(values.begin(), values.end()) == values.end();
    };
    EDGENAS_THROW_IF_NOT_FMT(unique(stage.kernels) && unique(stage.expand_ratios) && unique(stage.operators) &&
                                 unique(stage.activations) && unique(stage.se),
                             "space '{}': stage {} lists a kernel, expand ratio, operator, activation or SE value twice",
                             n, s);
    EDGENAS_THROW_IF_NOT_FMT(!stage.widths.empty() && stage.widths[0] >= 1 &&
                                 std::adjacent_find(stage.widths.begin(), stage.widths.end(),
                                                    std::greater_equal<int>()) == stage.widths.end(),
                             "space '{}': stage {} widths must be ascending, each listed once", n, s);
    EDGENAS_THROW_IF_NOT_FMT(!stage.activations.empty() && !stage.se.empty(),
                             "space '{}': stage {} needs an activation and an SE setting", n, s);
    if (factored) {
      EDGENAS_THROW_IF_NOT_FMT(!stage.kernels.empty() && !stage.expand_ratios.empty(),
                               "space '{}': stage {} needs kernel and expand choices, or an operator list", n, s);
      // Each value is one character of the arch string.
      for (int k : stage.kernels) {
        EDGENAS_THROW_IF_NOT_FMT(k >= 1 && k <= 9 && k % 2 == 1, "space '{}': stage {} kernel {} must be odd, 1 to 9",
                                 n, s, k);
      }
      for (double e : stage.expand_ratios) {
        EDGENAS_THROW_IF_NOT_FMT(e >= 1 && e <= 9 && e == static_cast<int>(e),
                                 "space '{}': stage {} expand ratio {} must be a whole number from 1 to 9", n, s, e);
      }
    } else {
      EDGENAS_THROW_IF_NOT_FMT(stage.widths.size() == 1 && stage.activations.size() == 1 && stage.se.size() == 1,
                               "space '{}': stage {} has an operator list and several widths, activations or SE "
                               "settings; those choices are for kernel/expand stages",
                               n, s);
      EDGENAS_THROW_IF_NOT_FMT(stage.depths.size() == 1,
                               "space '{}': stage {} has an operator list and several depths; use a skip "
                               "operator for elastic depth",
                               n, s);
      EDGENAS_THROW_IF_NOT_FMT(stage.operators.size() <= 10,
                               "space '{}': stage {} has {} operators; at most 10, so that each is one digit "
                               "of the arch string",
                               n, s, stage.operators.size());
    }
  }
}

void SearchSpace::BuildGeneLayout() {
  factored_ = spec_.stages[0].operators.empty();
  int channels = spec_.input_channels;
  for (const LayerTemplate& t : spec_.stem) {
    if (t.op == LayerOp::kConv || t.op == LayerOp::kMBConv || t.op == LayerOp::kLinear) channels = t.out_channels;
  }
  genes_.push_back(Gene{GeneKind::kResolution, -1, -1, static_cast<int>(spec_.resolutions.size()), {}});
  for (size_t s = 0; s < spec_.stages.size(); ++s) {
    const StageSpec& stage = spec_.stages[s];
    const int stage_index = static_cast<int>(s);
    stage_in_channels_.push_back(channels);
    depth_gene_.push_back(-1);
    width_gene_.push_back(-1);
    se_gene_.push_back(-1);
    activation_gene_.push_back(-1);
    if (factored_) {
      depth_gene_[s] = static_cast<int>(genes_.size());
      genes_.push_back(Gene{GeneKind::kDepth, stage_index, -1, static_cast<int>(stage.depths.size()), {}});
      auto add_stage_gene = [&](GeneKind kind, size_t choices, int* index) {
        if (choices < 2) return;
        *index = static_cast<int>(genes_.size());
        genes_.push_back(Gene{kind, stage_index, -1, static_cast<int>(choices), {}});
        has_stage_choices_ = true;
      };
      add_stage_gene(GeneKind::kWidth, stage.widths.size(), &width_gene_[s]);
      add_stage_gene(GeneKind::kSE, stage.se.size(), &se_gene_[s]);
      add_stage_gene(GeneKind::kActivation, stage.activations.size(), &activation_gene_[s]);
    }
    block_gene_.emplace_back();
    for (int b = 0; b < stage.max_depth(); ++b) {
      block_gene_[s].push_back(static_cast<int>(genes_.size()));
      if (factored_) {
        genes_.push_back(Gene{GeneKind::kKernel, stage_index, b, static_cast<int>(stage.kernels.size()), {}});
        genes_.push_back(Gene{GeneKind::kExpand, stage_index, b, static_cast<int>(stage.expand_ratios.size()), {}});
        continue;
      }
      Gene gene{GeneKind::kOperator, stage_index, b, 0, {}};
      const bool keeps_shape = b > 0 || (stage.stride == 1 && stage.widths[0] == channels);
      for (size_t i = 0; i < stage.operators.size(); ++i) {
        const LayerTemplate& op = spec_.operators[stage.operators[i]];
        if (op.op == LayerOp::kIdentity && !keeps_shape && !op.skip_allowed_when_reshaping) continue;
        gene.allowed_operators.push_back(static_cast<int>(i));
      }
      EDGENAS_THROW_IF_NOT_FMT(!gene.allowed_operators.empty(),
                               "space '{}': stage {} layer {} has no operator allowed where the shape changes",
                               spec_.name, s, b);
      gene.cardinality = static_cast<int>(gene.allowed_operators.size());
      genes_.push_back(gene);
    }
    channels = stage.widths[0];
  }
}

int SearchSpace::Depth(const Genome& genome, int stage) const {
  const int gene = depth_gene_[stage];
  return gene < 0 ? spec_.stages[stage].max_depth() : spec_.stages[stage].depths[genome.genes[gene]];
}

int SearchSpace::Width(const Genome& genome, int stage) const {
  const int gene = width_gene_[stage];
  return spec_.stages[stage].widths[gene < 0 ? 0 : genome.genes[gene]];
}

Activation SearchSpace::StageActivation(const Genome& genome, int stage) const {
  const int gene = activation_gene_[stage];
  return spec_.stages[stage].activations[gene < 0 ? 0 : genome.genes[gene]];
}

bool SearchSpace::StageSE(const Genome& genome, int stage) const {
  const int gene = se_gene_[stage];
  return spec_.stages[stage].se[gene < 0 ? 0 : genome.genes[gene]];
}

SearchSpace SearchSpace::WithResolutions(const std::vector<int>& resolutions) const {
  if (resolutions.empty()) return *this;
  SpaceSpec spec = spec_;
  spec.resolutions = resolutions;
  std::sort(spec.resolutions.begin(), spec.resolutions.end());
  for (int r : spec.resolutions) EDGENAS_ASSERT(ResolutionIndex(r) >= 0);
  return SearchSpace(spec);
}

int SearchSpace::ResolutionIndex(int resolution) const {
  const auto found = std::find(spec_.resolutions.begin(), spec_.resolutions.end(), resolution);
  return found == spec_.resolutions.end() ? -1 : static_cast<int>(found - spec_.resolutions.begin());
}

void SearchSpace::BuildBlockSlots() {
  for (size_t s = 0; s < spec_.stages.size(); ++s) {
    const StageSpec& stage = spec_.stages[s];
    stage_first_slot_.push_back(static_cast<int>(block_slots_.size()));
    for (int b = 0; b < stage.max_depth(); ++b) {
      BlockSlot slot;
      slot.stage = static_cast<int>(s);
      slot.block = b;
      slot.first_gene = block_gene_[s][b];
      slot.num_choices = genes_[slot.first_gene].cardinality;
      if (factored_) {
        slot.second_gene = slot.first_gene + 1;
        slot.second_cardinality = genes_[slot.second_gene].cardinality;
        slot.num_choices *= slot.second_cardinality;
      }
      // The stage genes the layer reads, in the order SetSlotChoice unpacks them.
      for (int gene : {b == 0 && s > 0 ? width_gene_[s - 1] : -1, width_gene_[s], se_gene_[s], activation_gene_[s]}) {
        if (gene < 0) continue;
        slot.stage_genes[slot.num_stage_genes] = gene;
        slot.stage_gene_cardinalities[slot.num_stage_genes++] = genes_[gene].cardinality;
        slot.num_choices *= genes_[gene].cardinality;
      }
      slot.depth_gene = depth_gene_[s];
      // Depth choices ascend, so the slot is in use from the first depth above b.
      while (slot.min_depth_choice < static_cast<int>(stage.depths.size()) && stage.depths[slot.min_depth_choice] <= b) {
        ++slot.min_depth_choice;
      }
      block_slots_.push_back(slot);
    }
  }
}

const BlockSlot& SearchSpace::Slot(int stage, int block) const {
  EDGENAS_ASSERT(block >= 0 && block < spec_.stages[stage].max_depth());
  return block_slots_[stage_first_slot_[stage] + block];
}

int SearchSpace::NumSlotChoices(int stage, int block) const { return Slot(stage, block).num_choices; }

void SearchSpace::SetSlotChoice(Genome* genome, int stage, int block, int choice) const {
  const BlockSlot& slot = Slot(stage, block);
  EDGENAS_ASSERT(choice >= 0 && choice < slot.num_choices);
  for (int i = slot.num_stage_genes - 1; i >= 0; --i) {
    genome->genes[slot.stage_genes[i]] = static_cast<uint8_t>(choice % slot.stage_gene_cardinalities[i]);
    choice /= slot.stage_gene_cardinalities[i];
  }
  genome->genes[slot.first_gene] = static_cast<uint8_t>(choice / slot.second_cardinality);
  if (slot.second_gene >= 0) genome->genes[slot.second_gene] = static_cast<uint8_t>(choice % slot.second_cardinality);
}

Genome SearchSpace::DeepestGenome(int resolution_index) const {
  Genome genome{std::vector<uint8_t>(genes_.size(), 0)};
  genome.genes[0] = static_cast<uint8_t>(resolution_index);
  for (size_t s = 0; s < spec_.stages.size(); ++s) {
    if (depth_gene_[s] >= 0) genome.genes[depth_gene_[s]] = static_cast<uint8_t>(spec_.stages[s].depths.size() - 1);
  }
  return genome;
}

bool SearchSpace::PreservesShape(int stage, int block) const {
  const StageSpec& s = spec_.stages[stage];
  return block > 0 || (s.stride == 1 && s.widths[0] == stage_in_channels_[stage]);
}

LayerSpec SearchSpace::MakeMBConv(int in_channels, int in_size, int out_channels, int stride, int kernel,
                                  double ratio, bool always_expand_conv, int groups, bool se,
                                  Activation activation) const {
  LayerSpec l;
  l.op = LayerOp::kMBConv;
  l.in_channels = in_channels;
  l.in_size = in_size;
  l.out_channels = out_channels;
  l.out_size = OutputSize(in_size, stride);
  l.kernel = kernel;
  l.stride = stride;
  l.groups = groups;
  l.expand_ratio = ratio;
  // std::nearbyint rounds half to even, like Python's round() in the reference code.
  l.mid_channels = MakeDivisible(std::nearbyint(in_channels * ratio), spec_.channel_divisor);
  l.has_expand_conv = always_expand_conv || ratio != 1.0;
  l.se = se;
  if (se) l.se_channels = MakeDivisible(l.mid_channels / spec_.se_reduction, spec_.channel_divisor);
  l.residual = stride == 1 && in_channels == out_channels;
  l.activation = activation;
  return l;
}

LayerSpec SearchSpace::MakeFixedLayer(const LayerTemplate& t, int in_channels, int in_size) const {
  if (t.op == LayerOp::kMBConv) {
    return MakeMBConv(in_channels, in_size, t.out_channels, t.stride, t.kernel, t.expand_ratio,
                      t.always_expand_conv, t.groups, t.se.value_or(false),
                      t.activation.value_or(Activation::kNone));
  }
  LayerSpec l;
  l.op = t.op;
  l.in_channels = in_channels;
  l.in_size = in_size;
  l.kernel = t.kernel;
  l.stride = t.stride;
  l.groups = t.groups;
  l.activation = t.activation.value_or(Activation::kNone);
  l.batch_norm = t.batch_norm;
  l.bias = t.bias;
  switch (t.op) {
    case LayerOp::kConv:
      l.out_channels = t.out_channels;
      l.out_size = OutputSize(in_size, t.stride);
      break;
    case LayerOp::kGlobalAvgPool:
      l.out_channels = in_channels;
      l.out_size = 1;
      break;
    case LayerOp::kLinear:
      l.out_channels = t.out_channels;
      l.out_size = 1;
      l.bias = true;
      l.batch_norm = false;
      break;
    default:
      l.out_channels = in_channels;
      l.out_size = in_size;
  }
  return l;
}

LayerSpec SearchSpace::MakeOperatorLayer(const LayerTemplate& t, const StageSpec& stage, int block,
                                         int in_channels, int in_size) const {
  const int stride = block == 0 ? stage.stride : 1;
  if (t.op == LayerOp::kMBConv) {
    return MakeMBConv(in_channels, in_size, stage.widths[0], stride, t.kernel, t.expand_ratio,
                      t.always_expand_conv, t.groups, t.se.value_or(stage.se[0]),
                      t.activation.value_or(stage.activations[0]));
  }
  // A skip operator: the identity where the shape is kept, else a strided 1x1 conv.
  LayerSpec l;
  l.skip_op = true;
  l.in_channels = in_channels;
  l.in_size = in_size;
  l.out_channels = stage.widths[0];
  l.out_size = OutputSize(in_size, stride);
  l.stride = stride;
  if (stride == 1 && in_channels == stage.widths[0]) {
    l.op = LayerOp::kIdentity;
    l.batch_norm = false;
    return l;
  }
  l.op = LayerOp::kConv;
  l.kernel = 1;
  l.batch_norm = t.batch_norm;
  l.activation = t.activation.value_or(Activation::kNone);
  return l;
}

NetworkSpec SearchSpace::Decode(const Genome& genome) const {
  EDGENAS_ASSERT(genome.genes.size() == genes_.size());
  NetworkSpec net;
  net.input_channels = spec_.input_channels;
  net.resolution = Resolution(genome);
  int channels = spec_.input_channels;
  int size = net.resolution;
  auto append = [&](LayerSpec layer, std::string name) {
    layer.name = std::move(name);
    channels = layer.out_channels;
    size = layer.out_size;
    net.layers.push_back(std::move(layer));
  };
  for (size_t i = 0; i < spec_.stem.size(); ++i) {
    append(MakeFixedLayer(spec_.stem[i], channels, size), "stem." + std::to_string(i));
  }
  for (size_t s = 0; s < spec_.stages.size(); ++s) {
    const StageSpec& stage = spec_.stages[s];
    const int stage_index = static_cast<int>(s);
    const int depth = Depth(genome, stage_index);
    for (int b = 0; b < depth; ++b) {
      const int gene = block_gene_[s][b];
      LayerSpec layer;
      if (factored_) {
        layer = MakeMBConv(channels, size, Width(genome, stage_index), b == 0 ? stage.stride : 1,
                           stage.kernels[genome.genes[gene]], stage.expand_ratios[genome.genes[gene + 1]], false, 1,
                           StageSE(genome, stage_index), StageActivation(genome, stage_index));
      } else {
        const int op_position = genes_[gene].allowed_operators[genome.genes[gene]];
        layer = MakeOperatorLayer(spec_.operators[stage.operators[op_position]], stage, b, channels, size);
      }
      append(std::move(layer), "s" + std::to_string(s) + ".b" + std::to_string(b));
    }
  }
  for (size_t i = 0; i < spec_.head.size(); ++i) {
    append(MakeFixedLayer(spec_.head[i], channels, size), "head." + std::to_string(i));
  }
  return net;
}

bool SearchSpace::IsValid(const Genome& genome, std::string* error) const {
  if (genome.genes.size() != genes_.size()) {
    *error = fmt::format("space '{}' has {} genes, the genome has {}", spec_.name, genes_.size(), genome.genes.size());
    return false;
  }
  for (size_t i = 0; i < genes_.size(); ++i) {
    if (genome.genes[i] >= genes_[i].cardinality) {
      *error = fmt::format("gene {} ({}) is {}, but must be below {}", i, GeneKindToString(genes_[i].kind),
                           genome.genes[i], genes_[i].cardinality);
      return false;
    }
  }
  return true;
}

void SearchSpace::SetOperator(Genome* genome, int gene_index, int op_position) const {
  const std::vector<int>& allowed = genes_[gene_index].allowed_operators;
  const auto found = std::find(allowed.begin(), allowed.end(), op_position);
  EDGENAS_ASSERT(found != allowed.end());
  genome->genes[gene_index] = static_cast<uint8_t>(found - allowed.begin());
}

Genome SearchSpace::Canonical(const Genome& genome) const {
  Genome canonical = genome;
  for (size_t s = 0; s < spec_.stages.size(); ++s) {
    const StageSpec& stage = spec_.stages[s];
    const int stage_index = static_cast<int>(s);
    if (factored_) {
      for (int b = Depth(genome, stage_index); b < stage.max_depth(); ++b) {
        canonical.genes[block_gene_[s][b]] = 0;
        canonical.genes[block_gene_[s][b] + 1] = 0;
      }
      continue;
    }
    // Layers that keep their shape form a suffix of the stage; identities there
    // can move to its end without changing the network.
    const int first = PreservesShape(stage_index, 0) ? 0 : 1;
    std::vector<int> kept;  // operator positions of the non-identity layers, in order
    int identity_position = -1;
    for (int b = first; b < stage.max_depth(); ++b) {
      const int gene = block_gene_[s][b];
      const int position = genes_[gene].allowed_operators[genome.genes[gene]];
      if (spec_.operators[stage.operators[position]].op == LayerOp::kIdentity) {
        if (identity_position < 0 || position < identity_position) identity_position = position;
      } else {
        kept.push_back(position);
      }
    }
    for (int b = first; b < stage.max_depth(); ++b) {
      const size_t k = static_cast<size_t>(b - first);
      SetOperator(&canonical, block_gene_[s][b], k < kept.size() ? kept[k] : identity_position);
    }
  }
  return canonical;
}

Genome SearchSpace::Sample(Rng& rng) const {
  Genome genome;
  genome.genes.resize(genes_.size());
  for (size_t i = 0; i < genes_.size(); ++i) genome.genes[i] = static_cast<uint8_t>(rng.UniformInt(genes_[i].cardinality));
  return genome;
}

void SearchSpace::Mutate(Genome* genome, double probability, Rng& rng, MutationScope scope) const {
  if (scope == MutationScope::kPerGene) {
    for (size_t i = 0; i < genes_.size(); ++i) {
      if (rng.Bernoulli(probability)) genome->genes[i] = static_cast<uint8_t>(rng.UniformInt(genes_[i].cardinality));
    }
    return;
  }
  for (size_t i = 0; i < genes_.size(); ++i) {
    if (genes_[i].block >= 0) continue;
    if (rng.Bernoulli(probability)) genome->genes[i] = static_cast<uint8_t>(rng.UniformInt(genes_[i].cardinality));
  }
  for (const BlockSlot& slot : block_slots_) {
    if (!rng.Bernoulli(probability)) continue;
    genome->genes[slot.first_gene] = static_cast<uint8_t>(rng.UniformInt(genes_[slot.first_gene].cardinality));
    if (slot.second_gene >= 0) {
      genome->genes[slot.second_gene] = static_cast<uint8_t>(rng.UniformInt(genes_[slot.second_gene].cardinality));
    }
  }
}

Genome SearchSpace::Crossover(const Genome& a, const Genome& b, Rng& rng) const {
  Genome child = a;
  for (size_t i = 0; i < genes_.size(); ++i) {
    if (rng.Bernoulli(0.5)) child.genes[i] = b.genes[i];
  }
  return child;
}

double SearchSpace::NumGenomes() const {
  double count = 1;
  for (const Gene& gene : genes_) count *= gene.cardinality;
  return count;
}

std::vector<Genome> SearchSpace::Enumerate(bool canonical_only, uint64_t limit) const {
  EDGENAS_THROW_IF_NOT_FMT(NumGenomes() <= static_cast<double>(limit),
                           "space '{}' has {:.3g} architectures; enumerating it is limited to {}", spec_.name,
                           NumGenomes(), limit);
  std::vector<Genome> all;
  Genome genome{std::vector<uint8_t>(genes_.size(), 0)};
  while (true) {
    if (!canonical_only || Canonical(genome) == genome) all.push_back(genome);
    // Mixed-radix increment, last gene fastest.
    int i = static_cast<int>(genes_.size()) - 1;
    for (; i >= 0; --i) {
      if (++genome.genes[i] < genes_[i].cardinality) break;
      genome.genes[i] = 0;
    }
    if (i < 0) return all;
  }
}

double SearchSpace::NumDistinctNetworks() const {
  // Canonicalisation acts on each stage on its own, so the count is the product
  // of each stage's distinct configurations, counted without enumerating them
  // (a stage of depth 64 has more configurations than could be listed).
  double count = static_cast<double>(spec_.resolutions.size());
  for (size_t s = 0; s < spec_.stages.size(); ++s) {
    const StageSpec& stage = spec_.stages[s];
    const int stage_index = static_cast<int>(s);
    if (factored_) {
      // Blocks beyond the depth are reset: sum over depths of choices^depth,
      // times the stage's width, SE and activation choices.
      const double per_block = static_cast<double>(stage.kernels.size() * stage.expand_ratios.size());
      double configurations = 0;
      for (int depth : stage.depths) configurations += std::pow(per_block, depth);
      count *= configurations * stage.widths.size() * stage.se.size() * stage.activations.size();
      continue;
    }
    // Operator lists: identities move to the end of the shape-keeping layers,
    // so a canonical stage is some non-identity layers, then identities only.
    // `open` counts the prefixes with no identity yet, `closed` those with one.
    double open = 1, closed = 0;
    for (int b = 0; b < stage.max_depth(); ++b) {
      const Gene& gene = genes_[block_gene_[s][b]];
      if (!PreservesShape(stage_index, b)) {  // a reshaping layer is never moved
        open *= gene.cardinality;
        continue;
      }
      int non_identity = 0;
      bool identity = false;
      for (int position : gene.allowed_operators) {
        if (spec_.operators[stage.operators[position]].op == LayerOp::kIdentity) {
          identity = true;
        } else {
          ++non_identity;
        }
      }
      const double next_closed = identity ? open + closed : 0;
      open *= non_identity;
      closed = next_closed;
    }
    count *= open + closed;
  }
  return count;
}

}  // namespace edgenas
