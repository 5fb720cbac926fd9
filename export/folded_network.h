// A trained network with its BatchNorms folded into the convolutions before
// them: the form the ONNX writer and (later) the quantizer work on.
//
//   weights.pt (state_dict) --FoldBatchNorm--> FoldedNetwork --onnx_model.h--> .onnx
//
// Folding is exact in real arithmetic: BN(conv(x)) = conv'(x) with
// w' = w * g / sqrt(v + eps) per output channel and b' = beta + (b - m) * g / sqrt(v + eps).
// No LibTorch here: the state_dict is read by accuracy/torch_state_dict.h.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "accuracy/torch_state_dict.h"
#include "common/rng.h"
#include "space/layer_spec.h"

namespace edgenas {

// One convolution (or the linear layer) after folding: weight as LibTorch
// stores it ([out, in / groups, k, k], or [out, in] for a linear) and one
// bias per output channel.
struct FoldedConv {
  FloatTensor weight;
  std::vector<float> bias;

  bool empty() const { return weight.values.empty(); }
};

// The parts of one LayerSpec, named as the LibTorch modules are. Parts the
// layer does not have are empty.
struct FoldedLayer {
  FoldedConv conv;                    // kConv
  FoldedConv expand, depthwise, project;  // kMBConv
  FoldedConv se_reduce, se_expand;    // kMBConv with SE
  FoldedConv linear;                  // kLinear
};

struct FoldedNetwork {
  NetworkSpec spec;
  std::vector<FoldedLayer> layers;  // one per spec.layers
};

// LibTorch's BatchNorm2d epsilon, which the networks are trained with.
inline constexpr double kBatchNormEpsilon = 1e-5;

// Folds `state` (a Network's state_dict, as models/network_weights.h names
// it) into `spec`'s convolutions. Throws Error naming `source` (where the state
// came from) and every tensor that is missing or has another shape than the
// layer needs, layer by layer.
FoldedNetwork FoldBatchNorm(const NetworkSpec& spec, const std::map<std::string, FloatTensor>& state,
                            const std::string& source);

// Random weights of the shapes `layer` needs, for timing, where only shapes
// matter: He-uniform weights and small biases, so activations stay in range.
FoldedLayer RandomFoldedLayer(const LayerSpec& layer, Rng& rng);
// Every layer of `spec` with random weights (RandomFoldedLayer); the same
// seed gives the same weights.
FoldedNetwork RandomFoldedNetwork(const NetworkSpec& spec, uint64_t seed);

// The module prefix of a layer in a state_dict: "s1.b0" -> "s1_b0" (LibTorch
// forbids dots in module names).
std::string ModuleName(const LayerSpec& layer);

}  // namespace edgenas
