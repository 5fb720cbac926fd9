#include <fmt/format.h>

#include <memory>

#include "cli/commands.h"
#include "job/job.h"
#include "common/text.h"

namespace edgenas {

namespace {

std::string Bounds(const Constraint& c) {
  if (c.min && c.max) return fmt::format("{} <= {} <= {} {}", *c.min, c.metric.ToString(), *c.max, c.metric.Unit());
  if (c.max) return fmt::format("{} <= {} {}", c.metric.ToString(), *c.max, c.metric.Unit());
  return fmt::format("{} >= {} {}", c.metric.ToString(), *c.min, c.metric.Unit());
}

void CheckRecipe(const std::string& path) {
  const Job job(LoadRecipe(path));  // loads what the recipe names: the faults only loading reveals
  const Recipe& r = job.recipe();
  for (const std::string& warning : job.warnings()) fmt::print(stderr, "warning: {}\n", warning);
  std::vector<std::string> objectives, constraints;
  for (const Objective& o : r.objectives) {
    objectives.push_back(fmt::format("{} {}", o.maximize ? "maximize" : "minimize", o.metric.ToString()));
  }
  for (const Constraint& c : r.constraints) constraints.push_back(Bounds(c));
  fmt::print("{}: ok\n  job          {}\n  space        {}\n  algorithm    {} (seed {})\n  objectives   {}\n"
             "  constraints  {}\n  output       {}\n",
             path, r.job, r.space, SearchAlgorithmToString(r.search.algorithm), r.seed, JoinStrings(objectives),
             constraints.empty() ? "none" : JoinStrings(constraints), r.output_dir);
}

}  // namespace

void AddRecipeCommands(CLI::App& app) {
  CLI::App* recipe = app.add_subcommand("recipe", "Work with search recipes (docs/recipes.md)");
  recipe->require_subcommand(1);
  auto path = std::make_shared<std::string>();
  CLI::App* check = recipe->add_subcommand(
      "check", "Validate a recipe: keys, types, ranges, space, devices and files; exit 2 with file:line:column on a fault");
  check->add_option("recipe", *path, "Recipe YAML file")->required();
  check->callback([path] { CheckRecipe(*path); });
}

}  // namespace edgenas
