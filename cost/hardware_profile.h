// A hardware profile: a device's measured per-block costs (hw_profiles/<device>/).
//
//   hw_profiles/<device>/profile.yaml   device, runtime, batch size, threads, the
//                                        space it covers, its key format, and per
//                                        metric (latency ms, energy mJ) one lookup
//                                        table per input resolution
//   hw_profiles/<device>/tables/*.yaml  key -> {mean, ...}, in the source's own format
//
// Keys keep their publisher's format byte for byte ("ofa": Once-for-All's
// `expanded_conv-input:56x56x24-output:28x28x40-expand:144-kernel:5-stride:2-idskip:0-se:1-hs:0`),
// so a published table drops in unchanged. docs/hardware_profiles.md has the schema.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/error.h"

namespace edgenas {

enum class LutKeyFormat { kOfa, kProxyless, kHwNasBench, kNative };
const char* LutKeyFormatToString(LutKeyFormat format);
bool StringToLutKeyFormat(const std::string& name, LutKeyFormat* format);

struct CostTable {
  std::string unit;  // "ms", "mJ"
  // resolution -> (key -> mean cost in `unit`); resolution 0 holds a table
  // whose keys serve every resolution (their keys carry the shapes).
  std::map<int, std::unordered_map<std::string, double>> by_resolution;

  // Added once per network (runtime overhead the per-block sum misses), per
  // resolution; resolution 0 serves every resolution. Empty: no constant.
  std::map<int, double> constant_by_resolution;
  // A network's cost = (scale + scale_per_weight_mib * W) * (sum of its
  // layers' entries) + constant, where W is the network's float32 weights in
  // MiB. A measured profile fits scale, scale_per_weight_mib and constant to
  // whole-network timings: layers run slower inside a network than timed alone
  // in a loop, where their weights stay in cache, and more so the more weights
  // the network streams through the cache. Per resolution (0: every
  // resolution); empty: scale 1, scale_per_weight_mib 0.
  std::map<int, double> scale_by_resolution;
  std::map<int, double> scale_per_weight_mib_by_resolution;

  // The constant for resolution r (0 if none).
  double ConstantFor(int r) const;
  // The scale for resolution r (1 if none).
  double ScaleFor(int r) const;
  // The scale's growth per MiB of weights for resolution r (0 if none).
  double ScalePerWeightMibFor(int r) const;
  // The table for resolution r, or nullptr.
  const std::unordered_map<std::string, double>* ForResolution(int r) const;
};

struct HardwareProfile {
  std::string device;  // the folder name; what recipes write after '@'
  std::string description;
  std::string kind;     // phone, edge_gpu, cpu, asic, fpga, ...
  std::string runtime;
  int batch_size = 1;
  int threads = 0;      // 0: not stated by the source
  std::vector<std::string> spaces;  // the spaces the tables cover
  LutKeyFormat key_format = LutKeyFormat::kOfa;
  std::map<std::string, CostTable> metrics;  // "latency", "latency_int8" (of the int8 model), "energy"
  std::string source;
  std::string license;
};

// Reads hw_profiles/<device>/ (or any profile folder). Errors carry file:line:column.
HardwareProfile LoadHardwareProfile(const std::string& folder);

// The folder of a shipped profile, <DataRoot()>/hw_profiles/<device>.
std::string BuiltinProfileFolder(const std::string& device);

// A profile's folder, given as a shipped device's name or as a path (any text
// with a '/'), as the commands that take --device accept it.
std::string ProfileFolder(const std::string& name_or_folder);

// Devices with a profile.yaml under <DataRoot()>/hw_profiles, sorted.
std::vector<std::string> BuiltinProfileNames();

// A shipped profile by device name; an unknown name lists the known ones.
HardwareProfile LoadBuiltinProfile(const std::string& device);

// Writing profiles: import, fit and measure all go through these, so every
// profile on disk has the one format LoadHardwareProfile reads.

// What profile.yaml says about one metric: the unit, the table file per
// resolution (resolution 0: one file whose keys carry the shapes), and the
// optional per-network constant per resolution.
struct MetricFiles {
  std::string unit;
  std::map<int, std::string> tables;  // relative to the profile folder
  std::map<int, double> constants;
  std::map<int, double> scales;
  std::map<int, double> scales_per_weight_mib;
};

// Writes <folder>/profile.yaml atomically: device to license from `info` (its
// loaded metrics are not used), the metrics from `metrics`, and `comment` as
// the file's first lines.
void WriteProfileYaml(const std::string& folder, const HardwareProfile& info,
                      const std::map<std::string, MetricFiles>& metrics, const std::string& comment);

// A lookup-table file: key -> {field: value}. Published tables carry `mean`;
// measured ones `median`, `mad` and `count`. These two are the one reader and
// writer of table files.
using TableEntries = std::map<std::string, std::map<std::string, double>>;

// Reads a table file. Throws Error with file:line:column for an empty table, a
// key given twice, a non-numeric field, or an entry with neither `median` nor `mean`.
TableEntries ReadTableFile(const std::string& path);

// Writes a table atomically. Doubles round-trip exactly.
void WriteTableFile(const std::string& path, const TableEntries& entries);

// Thrown when a profile would overwrite one already in `folder` and replacing
// was not asked for. Commands say how to ask (a flag); the library does not.
class ProfileExistsError : public Error {
 public:
  explicit ProfileExistsError(const std::string& folder)
      : Error(folder + " already holds a profile"), folder_(folder) {}
  const std::string& folder() const { return folder_; }

 private:
  std::string folder_;
};

// Throws ProfileExistsError unless `folder` holds no profile yet, or `replace`
// allows overwriting it.
void CheckProfileFolderFree(const std::string& folder, bool replace);

// Throws Error unless `device` can name a profile folder: IsSafeName
// (common/text.h), so that no device name reaches outside the profiles' root.
void CheckDeviceName(const std::string& device);

// Writes the profile folder <out_root>/<device> whole. `write` fills a fresh
// scratch folder beside it (and may throw to refuse what it wrote); the
// scratch then takes the folder's place by renames, and the profile it
// replaces (only with `replace`) is removed after. A failure leaves the old
// profile as it was and nothing of the new one. Returns the folder.
std::string WriteProfileFolder(const std::string& out_root, const std::string& device, bool replace,
                               const std::function<void(const std::string& folder)>& write);

}  // namespace edgenas
