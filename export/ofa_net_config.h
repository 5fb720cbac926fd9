// Once-for-All's own description of a static MobileNetV3 network: the
// `net.config` its Python code writes beside a subnet's weights and reads back
// with `MobileNetV3.build_from_config` (ofa/imagenet_classification/networks/
// mobilenet_v3.py). It is what OFAMobileNetV3.get_active_net_config() returns
// for the same subnet: the supernet's fixed layers (first conv, first block,
// final expand, feature mix, classifier) with every field of their static
// config, and each chosen block as the dynamic layer's active config.
#pragma once

#include <nlohmann/json.hpp>

#include "space/layer_spec.h"

namespace edgenas {

// `spec` must be a network of an OFA MobileNetV3 space (SearchSpace::
// has_ofa_json()): stem conv, first block, MBConv blocks, final expand conv,
// pool, feature mix conv, classifier. Throws Error naming the first layer that
// does not fit that shape.
nlohmann::json OfaNetConfig(const NetworkSpec& spec);

}  // namespace edgenas
