#include "predictors/profile_import.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/file_util.h"

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

// key -> {mean: value}, the same table layout as Once-for-All's files.
std::string TableYaml(const nlohmann::json& entries) {
  YAML::Emitter out;
  out.SetDoublePrecision(17);  // round-trips every double exactly
  out << YAML::BeginMap;
  for (const auto& [key, value] : entries.items()) {
    EDGENAS_THROW_IF_NOT_FMT(value.is_number(), "HW-NAS-Bench entry '{}' is not a number", key);
    out << YAML::Key << key << YAML::Value << YAML::BeginMap << YAML::Key << "mean" << YAML::Value
        << value.get<double>() << YAML::EndMap;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

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
    EDGENAS_THROW_IF_NOT_FMT(replace || !fs::exists(folder / "profile.yaml"),
                             "{} already holds a profile; pass --replace to overwrite it", folder.string());
    std::string metric_yaml;
    for (const auto& [metric, unit] : metrics) {
      const std::string table = fmt::format("tables/{}_{}.yaml", metric, unit);
      WriteFileAtomically((folder / table).string(), TableYaml(json[fmt::format("{}_{}", d.prefix, metric)]));
      metric_yaml += fmt::format("  {}:\n    unit: {}\n    tables: {}   # one table: its keys carry the shapes\n",
                                 metric, unit, table);
    }
    WriteFileAtomically((folder / "profile.yaml").string(),
                        fmt::format("# Written by `edgenas profile import --format hwnasbench`.\n"
                                    "device: {}\n"
                                    "description: {}\n"
                                    "kind: {}\n"
                                    "runtime: as measured or estimated by HW-NAS-Bench (see the paper)\n"
                                    "batch_size: 1\n"
                                    "threads: 0            # not stated by the source\n"
                                    "space: [fbnet, fbnet_cifar100]\n"
                                    "key_format: hwnasbench\n"
                                    "metrics:\n{}"
                                    "source: >-\n"
                                    "  HW-NAS-Bench (Li et al., ICLR 2021), FBNet metrics of HW-NAS-Bench-v1_0.pickle, as\n"
                                    "  dumped to JSON in fracapuano/sim-is-more fbnet_cached_metrics.json (commit c8a9073)\n"
                                    "license: MIT (HW-NAS-Bench, GaTech-EIC)\n",
                                    d.device, d.description, d.kind, metric_yaml));
    written.push_back(d.device);
  }
  return written;
}

}  // namespace edgenas
