#include <fmt/format.h>

#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "common/csv_reader.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/text.h"
#include "cost/hardware_profile.h"
#include "cost/lut_cost_model.h"
#include "cost/profile_fit.h"
#include "cost/profile_import.h"
#include "space/space_loader.h"

namespace edgenas {

namespace {

struct ImportOptions {
  PublishedTableImport request;  // format and input are shared by every format
  std::string out_root;
  bool replace = false;
};

// Runs `write`, saying how to overwrite a profile it refused to.
template <typename F>
void WithReplaceHint(F&& write) {
  try {
    write();
  } catch (const ProfileExistsError& e) {
    EDGENAS_THROW_FMT("{} already holds a profile; pass --replace to overwrite it", e.folder());
  }
}

void Import(const ImportOptions& o) {
  std::vector<std::string> devices;
  if (o.request.format == "hwnasbench") {
    WithReplaceHint([&] { devices = ImportHwNasBench(o.request.input, o.out_root, o.replace); });
  } else {
    EDGENAS_THROW_IF_NOT_FMT(!o.request.device.empty(), "profile import --format {} needs --device (the new profile's name)",
                             o.request.format);
    WithReplaceHint([&] { ImportPublishedTables(o.request, o.out_root, o.replace); });
    devices.push_back(o.request.device);
  }
  for (const std::string& device : devices) {
    const HardwareProfile p = LoadHardwareProfile(o.out_root + "/" + device);  // proves it loads
    std::vector<std::string> metrics;
    for (const auto& [metric, table] : p.metrics) metrics.push_back(fmt::format("{} ({})", metric, table.unit));
    fmt::print("{}/{}: {}\n", o.out_root, device, JoinStrings(metrics));
  }
}

struct FitOptions {
  std::string space;
  std::string data;
  std::string device;
  std::string model = "keys";
  std::string precision = "fp32";
  std::string key_format = "ofa";
  std::string out_root;
  ProfileFit::Options fit;
  bool replace = false;
};

void Fit(const FitOptions& o) {
  const SearchSpace space = LoadSpace(o.space);
  LutKeyFormat format;
  StringToLutKeyFormat(o.key_format, &format);
  const TimingsFile file = ReadTimingsCsv(space, o.data, o.precision);
  if (file.untimed > 0) fmt::print("{} rows without a latency_ms skipped\n", file.untimed);
  const std::vector<Timing>& timings = file.timings;
  ProfileFit::Options options = o.fit;
  options.model = o.model == "features" ? ProfileFit::Model::kLayerFeatures : ProfileFit::Model::kPerKey;
  const ProfileFit fit = FitProfile(space, format, timings, options);
  const std::string source =
      fmt::format("fitted ({} model) to {} {} timings in {}; {}-fold CV mean abs error {:.2f}%", o.model,
                  timings.size(), o.precision, o.data, o.fit.folds, fit.cv_mean_abs_percent_error);
  const std::string metric = o.precision == "int8" ? "latency_int8" : "latency";
  std::string folder;
  WithReplaceHint([&] {
    folder = WriteFittedProfile(fit, space, format, o.device, source, o.out_root, o.replace, metric);
  });
  fmt::print("{}: {} ({}) from {} unknowns fitted to {} timings\n", folder, metric, o.model, fit.num_unknowns,
             fit.num_timings);
  if (o.fit.folds >= 2) {
    fmt::print("{}-fold cross-validation: mean abs error {:.2f}%, {:.1f}% within 5%, {:.1f}% within 10%\n", o.fit.folds,
               fit.cv_mean_abs_percent_error, 100 * fit.cv_share_within_5_percent, 100 * fit.cv_share_within_10_percent);
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

CLI::Validator DeviceNameValidator() {
  return CLI::Validator(
      [](std::string& name) -> std::string {
        return IsSafeName(name) ? "" : "a device name is 1 to 255 letters, digits, '_', '-' or '.', not '.' or '..'";
      },
      "NAME");
}

CLI::Validator NonNegativeIntegerValidator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        const bool digits = !value.empty() && value.size() <= 20 &&
                            value.find_first_not_of("0123456789") == std::string::npos;
        return digits ? "" : "expected a whole number 0 or more, got '" + Printable(value, 40) + "'";
      },
      "");
}

void AddProfileOutputOptions(CLI::App* command, std::string* out_root, bool* replace) {
  *out_root = DataRoot() + "/hw_profiles";
  command->add_option("--out", *out_root, "Folder that holds the profile folders")->capture_default_str();
  command->add_flag("--replace", *replace, "Overwrite a profile that already exists");
}

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
  import->add_option("--device", o->request.device, "ofa, proxyless: name of the new profile (its folder)")
      ->check(DeviceNameValidator());
  import->add_option("--space", o->request.space, "ofa, proxyless: the space the tables cover");
  import->add_option("--resolution", o->request.resolution,
                     "proxyless: the table's input resolution (default: the space's largest)");
  import->add_option("--source", o->request.source, "Where the tables come from, recorded in profile.yaml");
  import->add_option("--kind", o->request.kind, "phone, cpu, edge_gpu, asic, fpga, ...")->capture_default_str();
  import->add_option("--description", o->request.description, "One line about the device and how it was measured");
  AddProfileOutputOptions(import, &o->out_root, &o->replace);
  import->callback([o] { Import(*o); });

  auto f = std::make_shared<FitOptions>();
  CLI::App* fit = profile->add_subcommand(
      "fit", "Fit per-block entries to whole-network timings (non-negative least squares, k-fold CV)");
  fit->add_option("--space,-s", f->space, "Space of the timed architectures")->required();
  fit->add_option("--data", f->data,
                  "CSV of timed networks: columns 'arch' and 'latency_ms' (profile sample's manifest.csv, profile "
                  "validate --csv), or 'arch,<value>'; rows with an empty latency_ms are skipped")
      ->required();
  fit->add_option("--model", f->model,
                  "keys: one entry per block key seen (needs at least as many timings as keys); features: each "
                  "layer a non-negative combination of its MACs, elements and weights (about 20 unknowns)")
      ->capture_default_str()
      ->check(CLI::IsMember({"keys", "features"}));
  fit->add_option("--precision", f->precision,
                  "The timed models' precision: the rows of a 'precision' column to use, and the metric written "
                  "(fp32: latency, int8: latency_int8)")
      ->capture_default_str()
      ->check(CLI::IsMember({"fp32", "int8"}));
  fit->add_option("--device", f->device, "Name of the new profile (its folder)")->required()->check(DeviceNameValidator());
  fit->add_option("--key-format", f->key_format, "Key format of the written tables")
      ->capture_default_str()
      ->check(CLI::IsMember({"ofa", "proxyless", "hwnasbench"}));
  fit->add_option("--folds", f->fit.folds, "k of the k-fold cross-validation (0: none, else 2 or more)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000))
      ->check([](const std::string& value) { return value == "1" ? "one fold leaves nothing to train on: 0 or 2 or more" : ""; });
  fit->add_option("--seed", f->fit.seed, "Shuffles the folds")->capture_default_str()
      ->check(NonNegativeIntegerValidator());
  AddProfileOutputOptions(fit, &f->out_root, &f->replace);
  fit->callback([f] { Fit(*f); });
}

}  // namespace edgenas
