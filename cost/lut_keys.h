// Lookup-table keys of a decoded network's layers, in a publisher's format.
#pragma once

#include <string>
#include <vector>

#include "cost/hardware_profile.h"
#include "space/layer_spec.h"
#include "space/search_space.h"

namespace edgenas {

// One key per layer of `net`, "" for layers that cost nothing (identities).
// Once-for-All's format names plain convs by their order in the network, as the
// TF-Lite graphs it timed did: the first is "Conv", then "Conv_1", "Conv_2", ...
//   Conv-input:192x192x3-output:96x96x24
//   expanded_conv-input:48x48x32-output:24x24x48-expand:192-kernel:5-stride:2-idskip:0-se:1-hs:0
//   AvgPool2D-input:6x6x1152-output:1x1x1152
//   Logits-input:1x1x1536-output:1000
// HW-NAS-Bench's format (FBNet) keys every layer by its input geometry:
//   ConvNorm_H32_W32_Cin3_Cout16_kernel3_stride1_group1
//   ConvBlock_H32_W32_Cin16_Cout16_exp1_kernel3_stride1_group2
//   Skip_H32_W32_Cin16_Cout24_stride2, AvgP_H4_W4_Cin1504_Cout1504_kernel4_stride1, FC_Cin1504_Cout100
// edgenas's own format, for tables it measures: every LayerSpec field that
// changes the computation, so one table serves any space:
//   mbconv-in:48x48x32-out:24x24x48-k5-s2-g1-mid192-se48-hswish-res0
//   conv-in:32x32x3-out:32x32x32-k3-s1-g1-bn1-bias0-relu, skip-in:..., avgpool-in:..., linear-in:1x1x1280-out:10
std::vector<std::string> LutKeys(const NetworkSpec& net, LutKeyFormat format);

// A layer and its key.
struct KeyedLayer {
  std::string key;
  LayerSpec layer;
};

// Every distinct keyed layer the space can produce at the given resolutions
// (empty: all of them), in a stable order: what a device must time to cost
// every network of the space.
std::vector<KeyedLayer> DistinctLayers(const SearchSpace& space, LutKeyFormat format, const std::vector<int>& resolutions);

}  // namespace edgenas
