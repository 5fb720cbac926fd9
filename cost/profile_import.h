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

// A profile from tables in Once-for-All's YAML layout (key -> {mean, ...}),
// copied byte for byte into hw_profiles/<device>/tables/:
//  - format "ofa": `input` is a folder of {R}_lookup_table.yaml, one per resolution;
//  - format "proxyless": `input` is one table, for `resolution`.
// The profile must cost `space` (every key present), or nothing is kept.
struct PublishedTableImport {
  std::string format;      // "ofa" or "proxyless"
  std::string input;
  std::string device;      // folder name under out_root
  std::string space;       // built-in name
  int resolution = 0;      // proxyless: the table's input resolution
  std::string kind = "unknown";  // phone, cpu, edge_gpu, ...
  std::string description;
  std::string source;      // where the tables come from, recorded in profile.yaml
};
void ImportPublishedTables(const PublishedTableImport& request, const std::string& out_root, bool replace);

}  // namespace edgenas
