#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/network_report.h"
#include "common/rng.h"
#include "cost/lut_cost_model.h"
#include "space/space_loader.h"

namespace edgenas {

namespace {

struct ArchOptions {
  std::string space;
  std::string arch;
  bool json = false;
  int count = 5;
  uint64_t seed = 1;
  std::vector<std::string> devices;
  bool canonical = false;
};

void ListSpaces() {
  fmt::print("{:<22} {:>12} {:>12}  {}\n", "space", "genomes", "networks", "description");
  for (const std::string& name : BuiltinSpaceNames()) {
    const SearchSpace space = LoadSpace(name);
    fmt::print("{:<22} {:>12.3g} {:>12.3g}  {}\n", name, space.NumGenomes(), space.NumDistinctNetworks(),
               space.spec().description);
  }
}

// Per-layer latency and energy of `genome` on each device, from its profile.
std::vector<CostColumn> DeviceCosts(const SearchSpace& space, const Genome& genome,
                                    const std::vector<std::string>& devices) {
  std::vector<CostColumn> columns;
  for (const std::string& device : devices) {
    const HardwareProfile profile = LoadBuiltinProfile(device);
    for (const auto& [metric, table] : profile.metrics) {
      const LutCostModel model(space, profile, metric, {{space.Resolution(genome)}});
      columns.push_back({metric + "@" + device, model.unit(), model.LayerCosts(genome), model.Cost(genome)});
    }
  }
  return columns;
}

void DescribeArch(const ArchOptions& o) {
  const SearchSpace space = LoadSpace(o.space);
  const Genome genome = space.Parse(o.arch);
  const std::vector<CostColumn> costs = DeviceCosts(space, genome, o.devices);
  if (o.json) {
    std::cout << DescribeNetworkJson(space, genome, costs).dump(2) << "\n";
  } else {
    std::cout << DescribeNetworkText(space, genome, costs);
  }
}

void SampleArchs(const ArchOptions& o) {
  const SearchSpace space = LoadSpace(o.space);
  Rng rng(o.seed);
  for (int i = 0; i < o.count; ++i) {
    Genome genome = space.Sample(rng);
    if (o.canonical) genome = space.Canonical(genome);
    std::cout << (o.json && space.has_ofa_json() ? space.ToOfaJson(genome) : space.ToString(genome)) << "\n";
  }
}

}  // namespace

void AddSpaceCommands(CLI::App& app) {
  app.add_subcommand("spaces", "List the built-in search spaces with their sizes")->callback(ListSpaces);

  CLI::App* space = app.add_subcommand("space", "Inspect a search space");
  space->require_subcommand(1);
  auto name = std::make_shared<std::string>();
  CLI::App* show = space->add_subcommand("show", "Print a space's structure: stages, choices, size");
  show->add_option("space", *name, "Built-in space name (see `edgenas spaces`) or path of a space YAML file")
      ->required();
  show->callback([name] { std::cout << DescribeSpaceText(LoadSpace(*name)); });

  CLI::App* arch = app.add_subcommand("arch", "Work with architectures of a space");
  arch->require_subcommand(1);
  auto o = std::make_shared<ArchOptions>();
  CLI::App* describe = arch->add_subcommand(
      "describe", "Decode an architecture layer by layer, with MACs, parameters and peak activation memory");
  describe->add_option("--space,-s", o->space, "Space name or space file")->required();
  describe->add_option("arch", o->arch,
                       "Arch string (e.g. 22212220 for nas_bench_macro, r192-k33.775.3537.535.333-e34.466.4336.333.436 "
                       "for ofa_mbv3_*) or Once-for-All JSON {\"ks\":[..],\"e\":[..],\"d\":[..],\"r\":[..]}")
      ->required();
  describe->add_flag("--json", o->json, "Print JSON instead of a table");
  describe->add_option("--device,-d", o->devices,
                       "Add per-layer latency/energy columns from hardware profile hw_profiles/DEVICE (repeatable)");
  describe->callback([o] { DescribeArch(*o); });

  CLI::App* sample = arch->add_subcommand("sample", "Print random valid architectures, one per line");
  sample->add_option("--space,-s", o->space, "Space name or space file")->required();
  sample->add_option("-n,--count", o->count, "How many")->capture_default_str()->check(CLI::Range(1, 10000000));
  sample->add_option("--seed", o->seed, "Random seed; the same seed gives the same architectures")
      ->capture_default_str()
      ->check(NonNegativeIntegerValidator());
  sample->add_flag("--canonical", o->canonical, "Print each in canonical form (identities at the end of a stage)");
  sample->add_flag("--json", o->json, "Once-for-All JSON instead of arch strings (factored spaces)");
  sample->callback([o] { SampleArchs(*o); });
}

}  // namespace edgenas
