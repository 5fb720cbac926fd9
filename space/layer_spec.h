// The one vocabulary of layers shared by counting (MACs, params, memory), cost
// lookup, LibTorch building and ONNX writing. A new operator is added here once
// and then handled in each of those places.
//
// Data flow: SearchSpace::Decode(Genome) -> NetworkSpec (a list of LayerSpec with
// exact shapes) -> ComputeStats / cost models / model builders.
//
// Shapes are NCHW at batch 1 with square feature maps: `in_size` x `in_size`.
#pragma once

#include <string>
#include <vector>

namespace edgenas {

enum class LayerOp {
  kConv,           // k x k conv (groups allowed), optional BN and activation
  kMBConv,         // inverted residual: [1x1 expand] -> k x k depthwise -> [SE] -> 1x1 project
  kIdentity,       // a shape-preserving skip/zero choice: no computation
  kGlobalAvgPool,  // H x W x C -> 1 x 1 x C
  kLinear,         // fully connected C -> out_channels, with bias
};

enum class Activation { kNone, kReLU, kReLU6, kHSwish };

const char* LayerOpToString(LayerOp op);
const char* ActivationToString(Activation activation);
// Returns false if `name` is not an activation ("none", "relu", "relu6", "hswish").
bool StringToActivation(const std::string& name, Activation* activation);
bool StringToLayerOp(const std::string& name, LayerOp* op);

struct LayerSpec {
  LayerOp op = LayerOp::kConv;
  std::string name;  // position in the network: "stem.0", "s2.b1", "head.3"

  int in_channels = 0;
  int in_size = 0;  // spatial height = width
  int out_channels = 0;
  int out_size = 0;

  int kernel = 1;
  int stride = 1;
  int groups = 1;  // kConv; for kMBConv the groups of both 1x1 convs

  // kMBConv only.
  double expand_ratio = 1.0;
  int mid_channels = 0;           // expanded width
  bool has_expand_conv = false;   // false when expand_ratio is 1 and the space omits that conv
  bool se = false;                // squeeze-and-excite after the depthwise conv
  int se_channels = 0;            // SE bottleneck width
  bool residual = false;          // output = block(x) + x (stride 1, in == out)

  bool skip_op = false;  // chosen as a skip operator: kIdentity, or its 1x1 conv where the shape changes

  Activation activation = Activation::kNone;
  bool batch_norm = true;  // kConv: BN after the conv; kMBConv: BN after each conv
  bool bias = false;       // kConv: conv bias; kLinear always has one
};

struct NetworkSpec {
  int input_channels = 3;
  int resolution = 0;
  std::vector<LayerSpec> layers;
};

}  // namespace edgenas
