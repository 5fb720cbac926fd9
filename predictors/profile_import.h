// Turning published lookup tables into hardware profiles (hw_profiles/<device>/).
#pragma once

#include <string>
#include <vector>

namespace edgenas {

// HW-NAS-Bench's FBNet metrics, as the JSON dump of its pickle's "fbnet" entry
// ({"edgegpu_latency": {key: value}, ...}): one profile per device (jetson_tx2,
// raspberry_pi4, pixel3, eyeriss, fpga) under `out_root`, covering the fbnet
// and fbnet_cifar100 spaces. Existing profile folders are replaced only if
// `replace`. Returns the devices written. Files are written atomically.
std::vector<std::string> ImportHwNasBench(const std::string& json_path, const std::string& out_root, bool replace);

}  // namespace edgenas
