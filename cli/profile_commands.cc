#include <fmt/format.h>

#include <memory>

#include "cli/commands.h"
#include "common/file_util.h"
#include "common/text.h"
#include "predictors/hardware_profile.h"
#include "predictors/profile_import.h"

namespace edgenas {

namespace {

struct ImportOptions {
  PublishedTableImport request;  // format and input are shared by every format
  std::string out_root;
  bool replace = false;
};

void Import(const ImportOptions& o) {
  std::vector<std::string> devices;
  if (o.request.format == "hwnasbench") {
    devices = ImportHwNasBench(o.request.input, o.out_root, o.replace);
  } else {
    ImportPublishedTables(o.request, o.out_root, o.replace);
    devices.push_back(o.request.device);
  }
  for (const std::string& device : devices) {
    const HardwareProfile p = LoadHardwareProfile(o.out_root + "/" + device);  // proves it loads
    std::vector<std::string> metrics;
    for (const auto& [metric, table] : p.metrics) metrics.push_back(fmt::format("{} ({})", metric, table.unit));
    fmt::print("{}/{}: {}\n", o.out_root, device, JoinStrings(metrics));
  }
}

void ListProfiles() {
  fmt::print("{:<16} {:<10} {:<28} {}\n", "device", "kind", "spaces", "metrics");
  for (const std::string& device : BuiltinProfileNames()) {
    const HardwareProfile p = LoadBuiltinProfile(device);
    std::vector<std::string> metrics;
    for (const auto& [metric, table] : p.metrics) metrics.push_back(fmt::format("{} ({})", metric, table.unit));
    fmt::print("{:<16} {:<10} {:<28} {}\n", device, p.kind, JoinStrings(p.spaces), JoinStrings(metrics));
  }
}

}  // namespace

void AddProfileCommands(CLI::App& app) {
  CLI::App* profile = app.add_subcommand("profile", "Hardware profiles: per-device latency/energy tables (docs/hardware_profiles.md)");
  profile->require_subcommand(1);
  profile->add_subcommand("list", "List the hardware profiles in hw_profiles/")->callback(ListProfiles);

  auto o = std::make_shared<ImportOptions>();
  CLI::App* import = profile->add_subcommand("import", "Convert a published lookup table into hardware profiles");
  import->add_option("--format", o->request.format,
                     "ofa: a folder of <R>_lookup_table.yaml (Once-for-All); proxyless: one ProxylessNAS table; "
                     "hwnasbench: HW-NAS-Bench's FBNet metrics as JSON, giving 5 devices")
      ->required()
      ->check(CLI::IsMember({"ofa", "proxyless", "hwnasbench"}));
  import->add_option("input", o->request.input, "The published table(s)")->required();
  import->add_option("--device", o->request.device, "ofa, proxyless: name of the new profile (its folder)");
  import->add_option("--space", o->request.space, "ofa, proxyless: the space the tables cover");
  import->add_option("--resolution", o->request.resolution,
                     "proxyless: the table's input resolution (default: the space's largest)");
  import->add_option("--source", o->request.source, "Where the tables come from, recorded in profile.yaml");
  import->add_option("--kind", o->request.kind, "phone, cpu, edge_gpu, asic, fpga, ...")->capture_default_str();
  import->add_option("--description", o->request.description, "One line about the device and how it was measured");
  o->out_root = DataRoot() + "/hw_profiles";
  import->add_option("--out", o->out_root, "Folder to write the profile folders into")->capture_default_str();
  import->add_flag("--replace", o->replace, "Overwrite profiles that already exist");
  import->callback([o] { Import(*o); });
}

}  // namespace edgenas
