// How well does a table entry follow from its neighbours in channel count
// (predictors/lut_interpolation.h)? Each of the space's layers whose key the
// device's table holds is estimated from the rest of the table (leave one
// out), or from another profile's table (--from), and the estimate compared
// with the published or measured entry. Prints the rows of
// docs/hardware_profiles.md's table.
//   ./build/tools/interpolation_study [--device D --space S [--from F]]
// With no arguments, the shipped profiles against the spaces they were made for.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "common/statistics.h"
#include "cost/hardware_profile.h"
#include "cost/lut_interpolation.h"
#include "cost/lut_keys.h"
#include "space/space_loader.h"

namespace edgenas {
namespace {

std::string Name(const std::string& device, const std::string& from) {
  return from.empty() ? device : fmt::format("{} from {}", device, from);
}

void Study(const std::string& device, const std::string& space_name, const std::string& from) {
  const HardwareProfile profile = LoadHardwareProfile(ProfileFolder(device));
  const HardwareProfile source = from.empty() ? profile : LoadHardwareProfile(ProfileFolder(from));
  const SearchSpace space = LoadSpace(space_name);
  std::vector<double> errors, signed_errors;  // |estimate / entry - 1|, and with its sign
  int no_neighbour = 0;
  for (const auto& [metric, table] : profile.metrics) {
    if (metric != "latency") continue;
    for (int r : space.spec().resolutions) {
      const auto* entries = table.ForResolution(r);
      const auto source_table = source.metrics.find(metric);
      if (entries == nullptr || source_table == source.metrics.end()) continue;
      const auto* source_entries = source_table->second.ForResolution(r);
      if (source_entries == nullptr) continue;
      const LutInterpolator interpolator(*source_entries, source.key_format);
      for (const KeyedLayer& l : DistinctLayers(space, profile.key_format, {r})) {
        const auto entry = entries->find(l.key);
        if (entry == entries->end() || entry->second <= 0) continue;
        const auto estimate = interpolator.Estimate(l.key, l.layer);
        if (!estimate) {
          ++no_neighbour;
          continue;
        }
        signed_errors.push_back(estimate->cost / entry->second - 1);
        errors.push_back(std::abs(signed_errors.back()));
      }
    }
  }
  const auto within = [&](double bound) {
    return 100.0 * std::count_if(errors.begin(), errors.end(), [&](double e) { return e <= bound; }) /
           std::max<size_t>(1, errors.size());
  };
  if (errors.empty()) {
    fmt::print("| {} | {} | 0 | {} | - | - | - | - | - |\n", Name(device, from), space_name, no_neighbour);
    return;
  }
  fmt::print("| {} | {} | {} | {} | {:.1f}% | {:+.1f}% | {:.1f}% | {:.1f}% | {:.1f}% |\n", Name(device, from), space_name,
             errors.size(), no_neighbour, 100 * Median(errors), 100 * Median(signed_errors), within(0.05), within(0.10),
             within(0.25));
}

}  // namespace
}  // namespace edgenas

int main(int argc, char** argv) {
  CLI::App app{"Leave-one-out (or --from another profile) accuracy of channel-neighbour interpolation"};
  std::string device, space, from;
  CLI::Option* device_option = app.add_option("--device", device, "Profile name in hw_profiles/, or a profile folder");
  CLI::Option* space_option = app.add_option("--space", space, "Space whose layers are estimated");
  app.add_option("--from", from, "Estimate from this profile's table instead of the device's own")->needs(device_option);
  device_option->needs(space_option);
  space_option->needs(device_option);
  CLI11_PARSE(app, argc, argv);
  std::vector<std::array<std::string, 3>> studies;
  if (!device.empty()) {
    studies.push_back({device, space, from});
  } else {
    studies = {{"note10", "ofa_mbv3_w1.2", ""},         {"pixel1_proxyless", "proxylessnas_mobile", ""},
               {"raspberry_pi4", "fbnet_cifar100", ""},  {"pixel3", "fbnet_cifar100", ""},
               {"host_cpu_example", "ofa_mbv3_w1.0", ""}, {"host_cpu_example", "nas_bench_macro", ""}};
  }
  fmt::print("| device | space | entries estimated | without a neighbour | median \\|error\\| | median error | within ±5% | "
             "within ±10% | within ±25% |\n|---|---|---|---|---|---|---|---|---|\n");
  try {
    for (const auto& [d, s, f] : studies) edgenas::Study(d, s, f);
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  return 0;
}
