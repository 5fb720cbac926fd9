// A search space of MobileNet-style networks and the genomes that index it.
//
//   SpaceSpec (from a YAML file, see space_loader.h and docs/spaces.md)
//     -> SearchSpace: gene layout, Decode(Genome) -> NetworkSpec, canonical form,
//        arch strings, sampling, mutation, crossover, enumeration.
//
// A network is: fixed stem layers, then stages of blocks, then fixed head layers.
// A stage is one of two kinds, the same for every stage of a space:
//  - factored (Once-for-All): a depth choice per stage, and per block a kernel
//    choice and an expand-ratio choice, each its own gene; blocks beyond the
//    stage's depth are unused;
//  - operator list (FBNet, ProxylessNAS, NAS-Bench-Macro): a fixed number of
//    layers, each choosing one operator from the stage's list. A `skip` operator
//    is the identity where the layer keeps its shape; where it changes the
//    shape it is a 1x1 conv (or, if the operator says so, not allowed there).
//
// Factored stages may also offer their width, squeeze-and-excite and
// activation as choices (one gene each, shared by the stage's blocks).
//
// Gene layout: [resolution], then per stage: [depth] (factored only), then
// [width] [se] [activation] (factored, only where the stage offers more than one
// value), then per block slot: [kernel, expand] (factored) or [operator]. Every
// other gene is present even with a single choice, so positions never move
// between genomes of one space, and spaces without stage choices keep the
// layout they always had.
//
// Thread safety: a SearchSpace is immutable after construction; all const
// methods may be called concurrently. Random methods take the caller's Rng.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/rng.h"
#include "space/genome.h"
#include "space/layer_spec.h"

namespace edgenas {

// A fixed layer of the stem or head, or one operator choice of a stage.
struct LayerTemplate {
  LayerOp op = LayerOp::kConv;  // kIdentity stands for a `skip` operator
  std::string name;             // operator name in operator-list spaces ("mb6_k5")
  int out_channels = 0;         // fixed layers only; operators take the stage's width
  int kernel = 1;
  int stride = 1;  // fixed layers only; operators take the stage's stride at its first layer
  int groups = 1;
  double expand_ratio = 1.0;
  bool always_expand_conv = false;  // keep the 1x1 expand conv even at ratio 1 (FBNet)
  std::optional<bool> se;                 // operators: unset = the stage's setting
  std::optional<Activation> activation;   // operators: unset = the stage's setting
  bool batch_norm = true;
  bool bias = false;
  bool skip_allowed_when_reshaping = true;  // skip ops: false = not offered where the shape changes
};

struct StageSpec {
  // Choices of width, activation and squeeze-and-excite; operator-list stages
  // have one of each (an operator may override the last two).
  std::vector<int> widths;
  std::vector<Activation> activations{Activation::kReLU};
  std::vector<bool> se{false};
  int stride = 1;            // of the stage's first block
  std::vector<int> depths;   // choices; a single value means a fixed depth
  std::vector<int> kernels;               // factored stages
  std::vector<double> expand_ratios;      // factored stages
  std::vector<int> operators;             // operator-list stages: indices into SpaceSpec::operators

  int max_depth() const { return depths.back(); }
  int max_width() const { return *std::max_element(widths.begin(), widths.end()); }
};

struct SpaceSpec {
  std::string name;
  std::string description;
  std::string source;  // where the definition comes from (paper, repository)
  int input_channels = 3;
  std::vector<int> resolutions;  // ascending
  // Expanded widths are make_divisible(round(in * ratio), channel_divisor), SE
  // widths make_divisible(mid / se_reduction, channel_divisor), as in Once-for-All.
  int channel_divisor = 1;
  int se_reduction = 4;
  std::vector<LayerTemplate> stem;
  std::vector<StageSpec> stages;
  std::vector<LayerTemplate> head;
  std::vector<LayerTemplate> operators;  // operator-list spaces
};

enum class GeneKind { kResolution, kDepth, kWidth, kSE, kActivation, kKernel, kExpand, kOperator };
const char* GeneKindToString(GeneKind kind);

// What one draw of a mutation resamples: each gene on its own ("per_gene"), or
// a block's genes together, as Once-for-All's search resamples a block's
// (kernel, expand) pair ("per_block"; resolution and depth genes stay on their own).
enum class MutationScope { kPerGene, kPerBlock };
const char* MutationScopeToString(MutationScope scope);
// False if `name` is neither "per_gene" nor "per_block".
bool StringToMutationScope(const std::string& name, MutationScope* scope);

struct Gene {
  GeneKind kind;
  int stage = -1;  // -1 for the resolution gene
  int block = -1;  // -1 for resolution and stage genes (depth, width, se, activation)
  int cardinality = 1;
  // kOperator: the positions in the stage's operator list that this layer may use.
  std::vector<int> allowed_operators;
};

// Where a block slot's choice lives in a genome. Inline, because cost tables
// read every slot of every candidate: a call per slot would cost more than the
// table read it feeds.
//
// A slot's layer is fixed by its own genes and by the stage genes it reads: its
// stage's width, SE and activation, and, for a stage's first block, the previous
// stage's width (its input). The choice is all of them as one mixed-radix number.
struct BlockSlot {
  static constexpr int kMaxStageGenes = 4;

  int stage = 0;
  int block = 0;
  int first_gene = 0;          // kernel (factored) or operator gene
  int second_gene = -1;        // expand gene (factored), or -1
  int second_cardinality = 1;  // choices of the expand gene
  int num_stage_genes = 0;     // stage genes the layer depends on, least significant last
  std::array<int, kMaxStageGenes> stage_genes{};
  std::array<int, kMaxStageGenes> stage_gene_cardinalities{};
  int depth_gene = -1;         // the stage's depth gene; -1 if its depth is fixed
  int min_depth_choice = 0;    // the slot is in use when genes[depth_gene] >= this
  int num_choices = 1;

  // kStageGenes = false: the space has no stage choices (num_stage_genes is 0
  // in every slot), and the cost model's loop skips their check: scoring a
  // Once-for-All genome took 12% longer with it.
  template <bool kStageGenes = true>
  int Choice(const Genome& genome) const {
    const int first = genome.genes[first_gene];
    int choice = second_gene < 0 ? first : first * second_cardinality + genome.genes[second_gene];
    if constexpr (kStageGenes) {
      for (int i = 0; i < num_stage_genes; ++i) choice = choice * stage_gene_cardinalities[i] + genome.genes[stage_genes[i]];
    }
    return choice;
  }
  bool InUse(const Genome& genome) const { return depth_gene < 0 || genome.genes[depth_gene] >= min_depth_choice; }
};

// The deepest a stage may be. Genes are bytes, and no published space comes
// near: Once-for-All's stages go to 4 blocks, FBNet's to 4 layers.
constexpr int kMaxStageDepth = 64;

// Once-for-All's make_divisible: round v to a multiple of divisor, never going
// below 90% of v.
int MakeDivisible(double v, int divisor);

class SearchSpace {
 public:
  // Checks the structure (throws Error naming the space and the rule broken)
  // and builds the gene layout.
  explicit SearchSpace(SpaceSpec spec);

  const SpaceSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name; }
  const std::vector<Gene>& genes() const { return genes_; }
  bool factored() const { return factored_; }

  // Gene indices; -1 where the space has no such gene.
  int resolution_gene() const { return 0; }
  int depth_gene(int stage) const { return depth_gene_[stage]; }
  int width_gene(int stage) const { return width_gene_[stage]; }
  int se_gene(int stage) const { return se_gene_[stage]; }
  int activation_gene(int stage) const { return activation_gene_[stage]; }
  // True if some stage offers a width, SE or activation choice.
  bool has_stage_choices() const { return has_stage_choices_; }
  int block_gene(int stage, int block) const { return block_gene_[stage][block]; }  // kernel or operator gene

  int Resolution(const Genome& genome) const { return spec_.resolutions[genome.genes[0]]; }
  // Position of `resolution` in spec().resolutions (the resolution gene's value), or -1.
  int ResolutionIndex(int resolution) const;

  // Block slots are the (stage, block) positions, in stage then block order.
  // A slot's choice is one number: kernel * (number of expand ratios) + expand
  // (factored), or the operator gene, then the stage genes it reads (BlockSlot). Cost tables index their entries by
  // (slot, choice) and read them through block_slots() on their hot path.
  const std::vector<BlockSlot>& block_slots() const { return block_slots_; }
  int NumSlotChoices(int stage, int block) const;
  void SetSlotChoice(Genome* genome, int stage, int block, int choice) const;
  // Every block slot in use and choice 0 everywhere, at resolution index
  // `resolution_index`: layer stem.size() + k of its decode is block slot k, and
  // a slot's layer depends on no genes but those of its choice. Cost tables and
  // profilers enumerate a space's layers from it.
  Genome DeepestGenome(int resolution_index) const;
  int Depth(const Genome& genome, int stage) const;  // number of layers of the stage in use
  // The stage's chosen width, activation and SE.
  int Width(const Genome& genome, int stage) const;
  Activation StageActivation(const Genome& genome, int stage) const;
  bool StageSE(const Genome& genome, int stage) const;
  // The head's first layer reads the last stage's width: the gene that sets it
  // (-1 if that width is fixed), so cost tables price the head per its value.
  int head_gene() const { return width_gene_.back(); }
  // The head's variants: head_gene()'s choices (1 if the width is fixed), and
  // the genome with the head set to variant `choice`.
  int NumHeadChoices() const { return head_gene() < 0 ? 1 : genes_[head_gene()].cardinality; }
  void SetHeadChoice(Genome* genome, int choice) const {
    if (head_gene() >= 0) genome->genes[head_gene()] = static_cast<uint8_t>(choice);
  }
  // The channels entering stage `stage` (operator-list spaces, whose widths are fixed).
  int StageInputChannels(int stage) const { return stage_in_channels_[stage]; }
  // True where a layer of an operator-list stage keeps its input shape (stride 1 and same width).
  bool PreservesShape(int stage, int block) const;

  // Genome -> layers with exact shapes. The genome must be valid.
  NetworkSpec Decode(const Genome& genome) const;
  // Returns false and says why if the genome does not fit this space's layout.
  bool IsValid(const Genome& genome, std::string* error) const;
  // The representative of the genome's class of identical networks: unused block
  // slots reset to choice 0; identities (skip operators where the shape is kept)
  // moved to the end of their stage, as NAS-Bench-Macro's canonical form.
  Genome Canonical(const Genome& genome) const;

  // Arch strings (see docs/spaces.md): the space's readable, stable text form.
  std::string ToString(const Genome& genome) const;
  // Parses an arch string, or Once-for-All's JSON {"ks":[..],"e":[..],"d":[..],"r":[..]}
  // for factored spaces. Throws Error saying what was expected.
  Genome Parse(const std::string& arch) const;
  // Once-for-All's JSON form; factored spaces without stage choices only.
  bool has_ofa_json() const { return factored_ && !has_stage_choices_; }
  std::string ToOfaJson(const Genome& genome) const;

  // The same space offering only `resolutions` (each one of this space's; all
  // of them if empty). Arch strings keep their meaning.
  SearchSpace WithResolutions(const std::vector<int>& resolutions) const;

  // Every gene uniformly at random.
  Genome Sample(Rng& rng) const;
  // Each gene (or each block's genes together, by `scope`) is resampled
  // uniformly with `probability` (it may keep its value).
  void Mutate(Genome* genome, double probability, Rng& rng, MutationScope scope = MutationScope::kPerGene) const;
  // Uniform crossover: each gene from either parent with probability 1/2.
  Genome Crossover(const Genome& a, const Genome& b, Rng& rng) const;
  // All genomes in gene order (only canonical ones if asked). Throws Error if
  // the space has more than `limit` genomes.
  std::vector<Genome> Enumerate(bool canonical_only, uint64_t limit) const;

  // Number of genomes (product of gene cardinalities) and of distinct networks
  // (canonical genomes). Doubles: the larger spaces exceed 2^64.
  double NumGenomes() const;
  double NumDistinctNetworks() const;

 private:
  void CheckStructure() const;
  void BuildGeneLayout();
  void BuildBlockSlots();
  void CheckCountsFit() const;
  const BlockSlot& Slot(int stage, int block) const;
  LayerSpec MakeFixedLayer(const LayerTemplate& t, int in_channels, int in_size) const;
  LayerSpec MakeOperatorLayer(const LayerTemplate& t, const StageSpec& stage, int block, int in_channels,
                              int in_size) const;
  LayerSpec MakeMBConv(int in_channels, int in_size, int out_channels, int stride, int kernel, double ratio,
                       bool always_expand_conv, int groups, bool se, Activation activation) const;
  Genome ParseOfaJson(const std::string& text) const;
  Genome ParseFactored(const std::string& arch, const std::string& body) const;
  void ParseStageChoices(const std::string& arch, const std::vector<std::string>& groups, Genome* genome) const;
  // The stage's width (group 0), SE (1) or activation (2) gene, or -1 where that choice is fixed.
  int StageChoiceGene(size_t group, size_t stage) const;
  Genome ParseOperatorDigits(const std::string& arch, const std::string& body) const;
  int ParseResolutionPrefix(const std::string& arch, std::string* body) const;
  // Sets gene `index` to the choice whose stage-operator position is `op_position`.
  void SetOperator(Genome* genome, int gene_index, int op_position) const;

  SpaceSpec spec_;
  bool factored_ = false;
  std::vector<Gene> genes_;
  bool has_stage_choices_ = false;
  std::vector<int> depth_gene_;               // per stage
  std::vector<int> width_gene_;               // per stage; -1 where fixed
  std::vector<int> se_gene_;                  // per stage; -1 where fixed
  std::vector<int> activation_gene_;          // per stage; -1 where fixed
  std::vector<std::vector<int>> block_gene_;  // per stage, per block slot: kernel or operator gene
  std::vector<BlockSlot> block_slots_;
  std::vector<int> stage_first_slot_;  // index in block_slots_ of each stage's first slot
  std::vector<int> stage_in_channels_;
};

}  // namespace edgenas
