// Analytic counts of a decoded network: multiply-accumulates, parameters and
// peak activation memory, per layer and in total.
//
// Conventions (they match the published numbers of NAS-Bench-Macro and the
// Once-for-All reference implementation exactly):
//  - MACs count conv and linear multiply-accumulates only: no BN, activation,
//    pooling, residual add, or bias. A conv's MACs are out_h*out_w*out_c*(in_c/groups)*k*k.
//  - Parameters count every trainable tensor: conv and linear weights, biases,
//    and BN's scale and shift (2 per channel). BN running statistics are buffers,
//    not parameters.
//  - Peak activation memory is the largest number of activation values that must
//    be live at once, at batch 1. Each layer runs as a sequence of primitive
//    operations (an MBConv: expand conv, depthwise conv, SE scaling, project conv,
//    residual add); a primitive needs its inputs and its output live, plus any
//    tensor a later primitive still needs (the block input, for the residual add;
//    the depthwise output, while SE computes its channel weights). Nothing runs in place. The
//    network's peak is the largest such sum over all primitives. One value is one
//    byte for int8 activations (the export format), four for float32.
#pragma once

#include <cstdint>
#include <vector>

#include "space/layer_spec.h"

namespace edgenas {

// One primitive operation of a layer, in execution order (an MBConv: expand
// conv, depthwise conv, SE pool/reduce/expand/scale, project conv, residual add).
struct Primitive {
  const char* name;             // "conv", "expand_conv", "depthwise_conv", "se_reduce", ...
  int64_t macs = 0;
  int64_t params = 0;
  int64_t live_activations = 0;  // inputs + output + tensors kept for a later primitive
};

// The primitives of a layer. Counting, and anything that needs per-conv
// figures, starts here.
std::vector<Primitive> LowerToPrimitives(const LayerSpec& layer);

struct LayerStats {
  int64_t macs = 0;
  int64_t params = 0;
  int64_t peak_activations = 0;  // values live at once within this layer
};

struct NetworkStats {
  std::vector<LayerStats> layers;  // parallel to NetworkSpec::layers
  int64_t macs = 0;
  int64_t params = 0;
  int64_t peak_activations = 0;  // max over layers
};

LayerStats ComputeLayerStats(const LayerSpec& layer);
NetworkStats ComputeStats(const NetworkSpec& network);

}  // namespace edgenas
