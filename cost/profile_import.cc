#include "cost/profile_import.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "common/error.h"
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
  } catch (const nlohmann::json::parse_error& e) {
    EDGENAS_THROW_FMT("{}: not valid JSON: {}", json_path, e.what());
  }
  std::vector<std::string> written;
  for (const HwNasBenchDevice& d : kHwNasBenchDevices) {
    std::map<std::string, std::string> metrics;  // metric -> unit, for those the file has
    for (const auto& [metric, unit] : {std::pair<std::string, std::string>{"latency", "ms"}, {"energy", "mJ"}}) {
      if (json.contains(fmt::format("{}_{}", d.prefix, metric))) metrics[metric] = unit;
    }
    EDGENAS_THROW_IF_NOT_FMT(!metrics.empty(), "{}: no '{}_latency' entry; is this HW-NAS-Bench's FBNet dump?",
                             json_path, d.prefix);
    const fs::path folder = fs::path(out_root) / d.device;
    CheckProfileFolderFree(folder.string(), replace);
    std::map<std::string, MetricFiles> files;
    for (const auto& [metric, unit] : metrics) {
      // One table for both FBNet configs: HW-NAS-Bench's keys carry the shapes.
      const std::string table = fmt::format("tables/{}_{}.yaml", metric, unit);
      std::map<std::string, std::map<std::string, double>> entries;
      for (const auto& [key, value] : json[fmt::format("{}_{}", d.prefix, metric)].items()) {
        EDGENAS_THROW_IF_NOT_FMT(value.is_number(), "{}: HW-NAS-Bench entry '{}' is not a number", json_path, key);
        entries[key]["mean"] = value.get<double>();
      }
      WriteTableFile((folder / table).string(), entries);
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
    WriteProfileYaml(folder.string(), info, files, "Written by `edgenas profile import --format hwnasbench`.");
    written.push_back(d.device);
  }
  return written;
}

void ImportPublishedTables(const PublishedTableImport& r, const std::string& out_root, bool replace) {
  LutKeyFormat format;
  EDGENAS_THROW_IF_NOT_FMT(StringToLutKeyFormat(r.format, &format) && format != LutKeyFormat::kHwNasBench,
                           "PublishedTableImport::format = '{}'. Violated constraint: ofa or proxyless", r.format);
  EDGENAS_THROW_IF_NOT_FMT(!r.device.empty(), "PublishedTableImport::device is empty. Violated constraint: a device name");
  const SearchSpace space = LoadSpace(r.space);
  std::map<int, fs::path> tables;  // resolution -> source file
  if (format == LutKeyFormat::kOfa) {
    EDGENAS_THROW_IF_NOT_FMT(fs::is_directory(r.input), "{}: expected a folder of <resolution>_lookup_table.yaml files",
                             r.input);
    for (int resolution : space.spec().resolutions) {
      const fs::path file = fs::path(r.input) / fmt::format("{}_lookup_table.yaml", resolution);
      if (fs::exists(file)) tables[resolution] = file;
    }
    EDGENAS_THROW_IF_NOT_FMT(!tables.empty(), "{}: no <resolution>_lookup_table.yaml for any resolution of space '{}'",
                             r.input, r.space);
  } else {
    const int resolution = r.resolution > 0 ? r.resolution : space.spec().resolutions.back();
    EDGENAS_THROW_IF_NOT_FMT(fs::is_regular_file(r.input), "{}: expected one lookup-table file", r.input);
    tables[resolution] = r.input;
  }
  const fs::path folder = fs::path(out_root) / r.device;
  CheckProfileFolderFree(folder.string(), replace);
  // Build the profile in a scratch folder, prove it costs the space, then move it into place.
  const fs::path scratch = fs::path(out_root) / ".importing" / r.device;
  fs::remove_all(scratch);
  MetricFiles latency;
  latency.unit = "ms";
  for (const auto& [resolution, file] : tables) {
    // Copied byte for byte: published tables drop in unchanged.
    const std::string name = fmt::format("tables/{}_lookup_table.yaml", resolution);
    WriteFileAtomically((scratch / name).string(), ReadFile(file.string()));
    latency.tables[resolution] = name;
  }
  HardwareProfile info;
  info.device = r.device;
  info.description = r.description;
  info.kind = r.kind;
  info.spaces = {r.space};
  info.key_format = format;
  info.source = r.source;
  WriteProfileYaml(scratch.string(), info, {{"latency", latency}},
                   fmt::format("Written by `edgenas profile import --format {}`.", r.format));
  try {
    HardwareProfile profile = LoadHardwareProfile(scratch.string());
    std::vector<int> resolutions;
    for (const auto& [resolution, file] : tables) resolutions.push_back(resolution);
    LutCostModel(space, profile, "latency", {resolutions});
  } catch (const Error&) {
    fs::remove_all(scratch.parent_path());
    throw;
  }
  fs::remove_all(folder);
  fs::rename(scratch, folder);
  fs::remove_all(scratch.parent_path());
}

}  // namespace edgenas
