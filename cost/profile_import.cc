#include "cost/profile_import.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/text.h"
#include "common/file_util.h"
#include "cost/hardware_profile.h"
#include "cost/lut_cost_model.h"
#include "space/space_loader.h"

namespace edgenas {

namespace fs = std::filesystem;

namespace {

struct HwNasBenchDevice {
  const char* prefix;  // in HW-NAS-Bench's metric names
  const char* device;  // our profile folder
  const char* kind;
  const char* description;
};

// Device descriptions from the HW-NAS-Bench paper (Li et al., ICLR 2021).
const HwNasBenchDevice kHwNasBenchDevices[] = {
    {"edgegpu", "jetson_tx2", "edge_gpu", "NVIDIA Jetson TX2 edge GPU, measured by HW-NAS-Bench"},
    {"raspi4", "raspberry_pi4", "cpu", "Raspberry Pi 4, measured by HW-NAS-Bench"},
    {"pixel3", "pixel3", "phone", "Google Pixel 3, measured by HW-NAS-Bench"},
    {"eyeriss", "eyeriss", "asic", "Eyeriss ASIC, estimated by HW-NAS-Bench with a simulator, not measured"},
    {"fpga", "fpga", "fpga", "FPGA accelerator, estimated by HW-NAS-Bench, not measured"},
};

}  // namespace

std::vector<std::string> ImportHwNasBench(const std::string& json_path, const std::string& out_root, bool replace) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(ReadFile(json_path));
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for numbers too large
    EDGENAS_THROW_FMT("{}: not valid JSON: {}", json_path, JsonErrorReason(e.what()));
  }
  for (const HwNasBenchDevice& d : kHwNasBenchDevices) {
    CheckProfileFolderFree((fs::path(out_root) / d.device).string(), replace);  // all or none
  }
  std::vector<std::string> written;
  for (const HwNasBenchDevice& d : kHwNasBenchDevices) {
    std::map<std::string, std::string> metrics;  // metric -> unit, for those the file has
    for (const auto& [metric, unit] : {std::pair<std::string, std::string>{"latency", "ms"}, {"energy", "mJ"}}) {
      if (json.contains(fmt::format("{}_{}", d.prefix, metric))) metrics[metric] = unit;
    }
    EDGENAS_THROW_IF_NOT_FMT(!metrics.empty(), "{}: no '{}_latency' entry; is this HW-NAS-Bench's FBNet dump?",
                             json_path, d.prefix);
    WriteProfileFolder(out_root, d.device, replace, [&](const std::string& folder) {
      std::map<std::string, MetricFiles> files;
      for (const auto& [metric, unit] : metrics) {
        // One table for both FBNet configs: HW-NAS-Bench's keys carry the shapes.
        const std::string table = fmt::format("tables/{}_{}.yaml", metric, unit);
        TableEntries entries;
        for (const auto& [key, value] : json[fmt::format("{}_{}", d.prefix, metric)].items()) {
          EDGENAS_THROW_IF_NOT_FMT(value.is_number(), "{}: HW-NAS-Bench entry '{}' is not a number", json_path,
                                   Printable(key));
          entries[key]["mean"] = value.get<double>();
        }
        WriteTableFile((fs::path(folder) / table).string(), entries);
        files[metric].unit = unit;
        files[metric].tables[0] = table;
      }
      HardwareProfile info;
      info.device = d.device;
      info.description = d.description;
      info.kind = d.kind;
      info.runtime = "as measured or estimated by HW-NAS-Bench (see the paper); threads not stated";
      info.spaces = {"fbnet", "fbnet_cifar100"};
      info.key_format = LutKeyFormat::kHwNasBench;
      info.source =
          "HW-NAS-Bench (Li et al., ICLR 2021), FBNet metrics of HW-NAS-Bench-v1_0.pickle, as dumped to JSON in "
          "fracapuano/sim-is-more fbnet_cached_metrics.json (commit c8a9073)";
      info.license = "MIT (HW-NAS-Bench, GaTech-EIC)";
      WriteProfileYaml(folder, info, files, "Written by `edgenas profile import --format hwnasbench`.");
    });
    written.push_back(d.device);
  }
  return written;
}

void ImportPublishedTables(const PublishedTableImport& r, const std::string& out_root, bool replace) {
  LutKeyFormat format;
  EDGENAS_THROW_IF_NOT_FMT(StringToLutKeyFormat(r.format, &format) && format != LutKeyFormat::kHwNasBench,
                           "PublishedTableImport::format = '{}'. Violated constraint: ofa or proxyless", r.format);
  CheckDeviceName(r.device);
  const SearchSpace space = LoadSpace(r.space);
  std::map<int, fs::path> tables;  // resolution -> source file
  if (format == LutKeyFormat::kOfa) {
    EDGENAS_THROW_IF_NOT_FMT(IsFolder(r.input), "{}: expected a folder of <resolution>_lookup_table.yaml files",
                             r.input);
    for (int resolution : space.spec().resolutions) {
      const fs::path file = fs::path(r.input) / fmt::format("{}_lookup_table.yaml", resolution);
      if (PathExists(file)) tables[resolution] = file;
    }
    EDGENAS_THROW_IF_NOT_FMT(!tables.empty(), "{}: no <resolution>_lookup_table.yaml for any resolution of space '{}'",
                             r.input, r.space);
  } else {
    const int resolution = r.resolution > 0 ? r.resolution : space.spec().resolutions.back();
    EDGENAS_THROW_IF_NOT_FMT(fs::is_regular_file(r.input), "{}: expected one lookup-table file", r.input);
    tables[resolution] = r.input;
  }
  // Built in a scratch folder and proved to cost the space before it takes the profile's place.
  WriteProfileFolder(out_root, r.device, replace, [&](const std::string& folder) {
    MetricFiles latency;
    latency.unit = "ms";
    for (const auto& [resolution, file] : tables) {
      // Copied byte for byte: published tables drop in unchanged.
      const std::string name = fmt::format("tables/{}_lookup_table.yaml", resolution);
      WriteFileAtomically((fs::path(folder) / name).string(), ReadFile(file.string()));
      latency.tables[resolution] = name;
    }
    HardwareProfile info;
    info.device = r.device;
    info.description = r.description;
    info.kind = r.kind;
    info.spaces = {r.space};
    info.key_format = format;
    info.source = r.source;
    WriteProfileYaml(folder, info, {{"latency", latency}},
                     fmt::format("Written by `edgenas profile import --format {}`.", r.format));
    std::vector<int> resolutions;
    for (const auto& [resolution, file] : tables) resolutions.push_back(resolution);
    LutCostModel(space, LoadHardwareProfile(folder), "latency", {resolutions});
  });
}

}  // namespace edgenas
