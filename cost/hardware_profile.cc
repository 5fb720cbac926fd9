#include "cost/hardware_profile.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <cstring>
#include <cerrno>

#include "common/error.h"
#include "common/file_util.h"
#include "common/text.h"
#include "common/yaml_reader.h"

namespace edgenas {

namespace fs = std::filesystem;

const char* LutKeyFormatToString(LutKeyFormat format) {
  switch (format) {
    case LutKeyFormat::kOfa: return "ofa";
    case LutKeyFormat::kProxyless: return "proxyless";
    case LutKeyFormat::kHwNasBench: return "hwnasbench";
    case LutKeyFormat::kNative: return "edgenas";
  }
  return "?";
}

bool StringToLutKeyFormat(const std::string& name, LutKeyFormat* format) {
  for (LutKeyFormat candidate :
       {LutKeyFormat::kOfa, LutKeyFormat::kProxyless, LutKeyFormat::kHwNasBench, LutKeyFormat::kNative}) {
    if (name == LutKeyFormatToString(candidate)) {
      *format = candidate;
      return true;
    }
  }
  return false;
}

namespace {

// The value for resolution r, else for resolution 0, else `otherwise`.
double PerResolution(const std::map<int, double>& values, int r, double otherwise) {
  auto found = values.find(r);
  if (found == values.end()) found = values.find(0);
  return found == values.end() ? otherwise : found->second;
}

}  // namespace

double CostTable::ConstantFor(int r) const { return PerResolution(constant_by_resolution, r, 0.0); }

double CostTable::ScaleFor(int r) const { return PerResolution(scale_by_resolution, r, 1.0); }

double CostTable::ScalePerWeightMibFor(int r) const {
  return PerResolution(scale_per_weight_mib_by_resolution, r, 0.0);
}

const std::unordered_map<std::string, double>* CostTable::ForResolution(int r) const {
  auto found = by_resolution.find(r);
  if (found == by_resolution.end()) found = by_resolution.find(0);
  return found == by_resolution.end() ? nullptr : &found->second;
}

TableEntries ReadTableFile(const std::string& path) {
  const YamlNode root = YamlNode::LoadFile(path);
  TableEntries table;
  for (const auto& [key, value] : root.Entries()) {
    std::map<std::string, double> fields;
    for (const auto& [field, number] : value.Entries()) fields[field.AsString()] = number.AsDouble(-1e300, 1e300);
    if (!fields.count("median") && !fields.count("mean")) {
      value.Fail(fmt::format("entry '{}' needs 'median' (measured tables) or 'mean' (published ones)", key.AsString()));
    }
    if (!table.emplace(key.AsString(), std::move(fields)).second) {
      key.Fail(fmt::format("'{}' is given twice in the lookup table", key.AsString()));
    }
  }
  if (table.empty()) root.Fail("the lookup table is empty");
  return table;
}

namespace {

// A table's cost per key. Published tables give the mean; tables measured by
// edgenas give the median, which is robust to outliers, and that is used when
// present.
std::unordered_map<std::string, double> ReadTable(const std::string& path) {
  std::unordered_map<std::string, double> table;
  for (const auto& [key, fields] : ReadTableFile(path)) {
    const auto median = fields.find("median");
    const double cost = median != fields.end() ? median->second : fields.at("mean");
    EDGENAS_THROW_IF_NOT_FMT(cost >= 0 && cost <= 1e12, "{}: entry '{}' has cost {}, expected 0 to 1e12", path, key,
                             cost);
    table.emplace(key, cost);
  }
  return table;
}

}  // namespace

HardwareProfile LoadHardwareProfile(const std::string& folder) {
  const std::string path = (fs::path(folder) / "profile.yaml").string();
  const YamlNode root = YamlNode::LoadFile(path);
  root.CheckKeys({"device", "description", "kind", "runtime", "batch_size", "threads", "space", "key_format", "metrics",
                  "source", "license"});
  HardwareProfile p;
  p.device = root.Get("device").AsString();
  const std::string folder_name = fs::path(folder).lexically_normal().filename().string();
  if (!folder_name.empty() && p.device != folder_name) {
    root.Get("device").Fail(fmt::format("device '{}' must match its folder name '{}'", p.device, folder_name));
  }
  p.description = root.StringOr("description", "");
  p.kind = root.StringOr("kind", "");
  p.runtime = root.StringOr("runtime", "");
  p.batch_size = static_cast<int>(root.IntOr("batch_size", 1, 1, 4096));
  p.threads = static_cast<int>(root.IntOr("threads", 0, 0, 4096));
  const YamlNode spaces = root.Get("space");
  if (spaces.IsSequence()) {
    for (const YamlNode& item : spaces.Items()) p.spaces.push_back(item.AsString());
  } else {
    p.spaces.push_back(spaces.AsString());
  }
  StringToLutKeyFormat(root.Get("key_format").AsChoice({"ofa", "proxyless", "hwnasbench", "edgenas"}), &p.key_format);
  for (const auto& entry : root.Get("metrics").Entries()) {
    // Named, not a structured binding: lambdas below capture it (C++17).
    const YamlNode& name = entry.first;
    const YamlNode& metric = entry.second;
    name.AsChoice({"latency", "latency_int8", "energy"});
    metric.CheckKeys({"unit", "tables", "constant", "scale", "scale_per_weight_mib"});
    CostTable table;
    table.unit = metric.Get("unit").AsChoice({"ms", "mJ"});
    // One table per resolution, or one table whose keys carry the shapes.
    const YamlNode tables = metric.Get("tables");
    std::vector<std::pair<int, YamlNode>> files;
    if (tables.IsScalar()) {
      files.emplace_back(0, tables);
    } else {
      for (const auto& [resolution, file] : tables.Entries()) {
        files.emplace_back(static_cast<int>(resolution.AsInt(1, 100000)), file);
      }
    }
    for (const auto& [r, file] : files) {
      const std::string table_path = (fs::path(folder) / file.AsString()).string();
      if (!PathExists(table_path)) file.Fail(fmt::format("table file '{}' not found", table_path));
      table.by_resolution[r] = ReadTable(table_path);
    }
    // One number for every resolution, or one per resolution.
    auto read_per_resolution = [&](const char* field, double low, double high, std::map<int, double>* values) {
      const auto node = metric.Find(field);
      if (!node) return;
      if (node->IsScalar()) {
        (*values)[0] = node->AsDouble(low, high);
        return;
      }
      for (const auto& [resolution, value] : node->Entries()) {
        (*values)[static_cast<int>(resolution.AsInt(1, 100000))] = value.AsDouble(low, high);
      }
    };
    read_per_resolution("constant", 0.0, 1e9, &table.constant_by_resolution);  // a negative constant would make small networks cost less than nothing
    read_per_resolution("scale", 1e-6, 1e6, &table.scale_by_resolution);
    read_per_resolution("scale_per_weight_mib", 0.0, 1e6, &table.scale_per_weight_mib_by_resolution);
    p.metrics[name.AsString()] = std::move(table);
  }
  p.source = root.StringOr("source", "");
  p.license = root.StringOr("license", "");
  return p;
}

std::string BuiltinProfileFolder(const std::string& device) {
  return (fs::path(DataRoot()) / "hw_profiles" / device).string();
}

std::string ProfileFolder(const std::string& name_or_folder) {
  return name_or_folder.find('/') != std::string::npos ? name_or_folder : BuiltinProfileFolder(name_or_folder);
}

std::vector<std::string> BuiltinProfileNames() {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(fs::path(DataRoot()) / "hw_profiles", error)) {
    if (PathExists(entry.path() / "profile.yaml")) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

HardwareProfile LoadBuiltinProfile(const std::string& device) {
  const std::string folder = BuiltinProfileFolder(device);
  if (device.empty() || !PathExists(fs::path(folder) / "profile.yaml")) {
    const std::vector<std::string> names = BuiltinProfileNames();
    const std::string suggestion = ClosestMatch(device, names);
    EDGENAS_THROW_FMT("unknown device '{}'{}: there is no hw_profiles/{}/profile.yaml (devices: {})", device,
                      suggestion.empty() ? "" : fmt::format(" (did you mean '{}'?)", suggestion), device,
                      JoinStrings(names));
  }
  return LoadHardwareProfile(folder);
}

namespace {

// One value for resolution 0 alone is written as a scalar, else as a map.
template <typename T>
void EmitPerResolution(YAML::Emitter& out, const std::map<int, T>& values) {
  if (values.size() == 1 && values.begin()->first == 0) {
    out << values.begin()->second;
    return;
  }
  out << YAML::BeginMap;
  for (const auto& [resolution, value] : values) out << YAML::Key << resolution << YAML::Value << value;
  out << YAML::EndMap;
}

}  // namespace

void WriteProfileYaml(const std::string& folder, const HardwareProfile& info,
                      const std::map<std::string, MetricFiles>& metrics, const std::string& comment) {
  YAML::Emitter out;
  out.SetDoublePrecision(17);
  out << YAML::BeginMap;
  out << YAML::Key << "device" << YAML::Value << info.device;
  for (const auto& [key, value] : {std::pair<const char*, const std::string&>{"description", info.description},
                                   {"kind", info.kind},
                                   {"runtime", info.runtime}}) {
    if (!value.empty()) out << YAML::Key << key << YAML::Value << value;
  }
  out << YAML::Key << "batch_size" << YAML::Value << info.batch_size;
  out << YAML::Key << "threads" << YAML::Value << info.threads;
  out << YAML::Key << "space" << YAML::Value;
  if (info.spaces.size() == 1) {
    out << info.spaces[0];
  } else {
    out << YAML::Flow << info.spaces;
  }
  out << YAML::Key << "key_format" << YAML::Value << LutKeyFormatToString(info.key_format);
  out << YAML::Key << "metrics" << YAML::Value << YAML::BeginMap;
  for (const auto& [name, metric] : metrics) {
    out << YAML::Key << name << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "unit" << YAML::Value << metric.unit;
    if (!metric.scales.empty()) {
      out << YAML::Key << "scale" << YAML::Value;
      EmitPerResolution(out, metric.scales);
    }
    if (!metric.scales_per_weight_mib.empty()) {
      out << YAML::Key << "scale_per_weight_mib" << YAML::Value;
      EmitPerResolution(out, metric.scales_per_weight_mib);
    }
    if (!metric.constants.empty()) {
      out << YAML::Key << "constant" << YAML::Value;
      EmitPerResolution(out, metric.constants);
    }
    out << YAML::Key << "tables" << YAML::Value;
    EmitPerResolution(out, metric.tables);
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  if (!info.source.empty()) out << YAML::Key << "source" << YAML::Value << info.source;
  if (!info.license.empty()) out << YAML::Key << "license" << YAML::Value << info.license;
  out << YAML::EndMap;
  std::string header;
  for (const std::string& line : SplitString(comment, '\n')) header += "# " + line + "\n";
  WriteFileAtomically((fs::path(folder) / "profile.yaml").string(), header + out.c_str() + "\n");
}

void WriteTableFile(const std::string& path, const TableEntries& entries) {
  YAML::Emitter out;
  out.SetDoublePrecision(17);  // round-trips every double exactly
  out << YAML::BeginMap;
  for (const auto& [key, fields] : entries) {
    out << YAML::Key << key << YAML::Value << YAML::BeginMap;
    for (const auto& [field, value] : fields) out << YAML::Key << field << YAML::Value << value;
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  WriteFileAtomically(path, std::string(out.c_str()) + "\n");
}

void CheckProfileFolderFree(const std::string& folder, bool replace) {
  if (!replace && PathExists(fs::path(folder) / "profile.yaml")) throw ProfileExistsError(folder);
}

void CheckDeviceName(const std::string& device) {
  EDGENAS_THROW_IF_NOT_FMT(IsSafeName(device),
                           "device name '{}' is not a name: 1 to 255 letters, digits, '_', '-' or '.', and not '.' or "
                           "'..' (it names the profile's folder)",
                           Printable(device));
}

std::string WriteProfileFolder(const std::string& out_root, const std::string& device, bool replace,
                               const std::function<void(const std::string& folder)>& write) {
  CheckDeviceName(device);
  const fs::path folder = fs::path(out_root) / device;
  CheckProfileFolderFree(folder.string(), replace);
  std::error_code error;
  fs::create_directories(out_root, error);
  EDGENAS_THROW_IF_NOT_FMT(!error, "{}: cannot create the folder: {}", out_root, error.message());
  // Fresh folders of this process's own (mkdtemp): the only ones removed whole.
  const auto fresh = [&](const char* what) {
    std::string pattern = (fs::path(out_root) / fmt::format(".{}.{}.XXXXXX", device, what)).string();
    EDGENAS_THROW_IF_NOT_FMT(::mkdtemp(pattern.data()) != nullptr, "{}: cannot create a folder: {}", out_root,
                             std::strerror(errno));
    return fs::path(pattern);
  };
  // The profile is written into <scratch>/<device>: a profile's folder carries its device's name.
  const fs::path scratch = fresh("writing");
  try {
    fs::create_directory(scratch / device);
    write((scratch / device).string());
  } catch (...) {
    fs::remove_all(scratch, error);
    throw;
  }
  fs::path aside;
  if (PathExists(folder)) {
    aside = fresh("replaced");
    fs::rename(folder, aside / device);
  }
  fs::rename(scratch / device, folder);
  fs::remove_all(scratch, error);
  if (!aside.empty()) fs::remove_all(aside, error);
  return folder.string();
}

}  // namespace edgenas
