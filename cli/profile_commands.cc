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
  std::string format;
  std::string input;
  std::string out_root;
  bool replace = false;
};

void Import(const ImportOptions& o) {
  const std::vector<std::string> devices = ImportHwNasBench(o.input, o.out_root, o.replace);
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
  import->add_option("--format", o->format, "Format of the published table")
      ->required()
      ->check(CLI::IsMember({"hwnasbench"}));
  import->add_option("input", o->input, "hwnasbench: HW-NAS-Bench's FBNet metrics as JSON ({\"edgegpu_latency\": {...}, ...})")
      ->required();
  o->out_root = DataRoot() + "/hw_profiles";
  import->add_option("--out", o->out_root, "Folder to write the profile folders into")->capture_default_str();
  import->add_flag("--replace", o->replace, "Overwrite profiles that already exist");
  import->callback([o] { Import(*o); });
}

}  // namespace edgenas
