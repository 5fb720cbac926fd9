// Architecture -> feature vector for accuracy predictors.
//
// Every feature is a one-hot bit, so a network is stored as the list of its
// active feature indices; the MLP's first layer is then a sum of weight
// columns instead of a dense product.
//
// Layout (kOneHot): for every block slot in order, a one-hot of its kernel
// choice; then for every slot its expand-ratio choice; then for every slot its
// operator choice; then a one-hot of each stage's width, SE and activation
// choice (spaces that offer them); then the resolution. Choices with a single value get no
// features. A slot beyond its stage's depth, and a `skip` operator where the
// layer keeps its shape (the identity), set no bit: identical networks have
// identical features.
//
// kOfaMbv3 is the same layout with Once-for-All's resolution part: 8 bits, bit
// (r - 112) / 16 rounded down (so 160 and 164 share a bit), whatever
// resolutions the space offers. For the OFA MobileNetV3
// spaces it is exactly the 128 features of OFA's published accuracy predictor.
#pragma once

#include <string>
#include <vector>

#include "space/search_space.h"

namespace edgenas {

enum class FeatureEncoding { kOneHot, kOfaMbv3 };
const char* FeatureEncodingToString(FeatureEncoding encoding);  // "one_hot", "ofa_mbv3"
bool StringToFeatureEncoding(const std::string& name, FeatureEncoding* encoding);

class FeatureEncoder {
 public:
  // Throws Error if the encoding does not fit the space (kOfaMbv3 needs 20
  // block slots, kernels {3,5,7}, expand ratios {3,4,6}, resolutions 112..239).
  FeatureEncoder(const SearchSpace& space, FeatureEncoding encoding);

  // The encoding Once-for-All's spaces use (kOfaMbv3), kOneHot for the others.
  static FeatureEncoding DefaultFor(const SearchSpace& space);

  FeatureEncoding encoding() const { return encoding_; }
  int num_features() const { return num_features_; }
  // The most bits any genome sets (a bound for buffers).
  int max_active() const { return max_active_; }

  // Writes the active feature indices, ascending, to `active` (room for
  // max_active()) and returns how many. Does not allocate.
  int ActiveFeatures(const Genome& genome, int* active) const;
  // Dense 0/1 vector of num_features() floats.
  std::vector<float> Dense(const Genome& genome) const;

 private:
  struct SlotFeatures {
    int stage = 0, block = 0;
    int kernel_gene = -1, kernel_base = -1;  // factored
    int expand_gene = -1, expand_base = -1;  // factored
    int op_gene = -1, op_base = -1;          // operator list
    int identity_choice = -1;                // operator choice that is the identity here, or -1
  };

  const SearchSpace& space_;
  FeatureEncoding encoding_;
  std::vector<SlotFeatures> slots_;
  std::vector<std::pair<int, int>> stage_genes_;  // (gene, first feature) of each width, SE and activation gene
  int resolution_base_ = -1;  // -1: a single resolution, no bits
  int num_features_ = 0;
  int max_active_ = 0;
};

}  // namespace edgenas
