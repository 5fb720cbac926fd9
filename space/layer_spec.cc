#include "space/layer_spec.h"

namespace edgenas {

const char* LayerOpToString(LayerOp op) {
  switch (op) {
    case LayerOp::kConv: return "conv";
    case LayerOp::kMBConv: return "mbconv";
    case LayerOp::kIdentity: return "identity";
    case LayerOp::kGlobalAvgPool: return "avgpool";
    case LayerOp::kLinear: return "linear";
  }
  return "?";
}

const char* ActivationToString(Activation activation) {
  switch (activation) {
    case Activation::kNone: return "none";
    case Activation::kReLU: return "relu";
    case Activation::kReLU6: return "relu6";
    case Activation::kHSwish: return "hswish";
  }
  return "?";
}

bool StringToLayerOp(const std::string& name, LayerOp* op) {
  for (LayerOp candidate :
       {LayerOp::kConv, LayerOp::kMBConv, LayerOp::kIdentity, LayerOp::kGlobalAvgPool, LayerOp::kLinear}) {
    if (name == LayerOpToString(candidate)) {
      *op = candidate;
      return true;
    }
  }
  return false;
}

bool StringToActivation(const std::string& name, Activation* activation) {
  for (Activation candidate : {Activation::kNone, Activation::kReLU, Activation::kReLU6, Activation::kHSwish}) {
    if (name == ActivationToString(candidate)) {
      *activation = candidate;
      return true;
    }
  }
  return false;
}

}  // namespace edgenas
