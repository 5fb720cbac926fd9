// How good are the networks the search finds on NAS-Bench-Macro, by the
// benchmark's measured accuracies? For each budget recipe and algorithm, 10
// seeds: the true accuracy of the network found and its rank among all
// networks within the budget. Prints the Markdown table of docs/search.md.
//   ./build/tools/nas_bench_macro_study
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <map>

#include "common/file_util.h"
#include "accuracy/accuracy_dataset.h"
#include "job/job.h"
#include "space/space_loader.h"

int main() {
  using namespace edgenas;
  const SearchSpace space = LoadSpace("nas_bench_macro");
  const AccuracyDataset truth = LoadAccuracyDataset(DataRoot() + "/predictors/data/nas_bench_macro_cifar10.csv", space);
  std::map<Genome, double> measured;
  for (size_t i = 0; i < truth.size(); ++i) measured[truth.genomes[i]] = truth.accuracy[i];

  std::string table =
      "| budget | algorithm | evaluations | true accuracy of the network found (mean, min-max) | rank among the "
      "networks within budget (median, worst) | seeds in the true top 1% |\n|---|---|---|---|---|---|\n";
  for (const std::string name : {"nas_bench_macro_macs", "nas_bench_macro_host_cpu"}) {
    const Job job(LoadRecipe(DataRoot() + "/recipes/" + name + ".yaml"));
    // The networks within budget, best measured accuracy first.
    const Evaluator budget_check(job.space(), job.EvaluatorOptions());
    std::vector<double> feasible;
    for (const auto& [g, accuracy] : measured) {
      if (budget_check.CheckConstraints(g)) feasible.push_back(accuracy);
    }
    std::sort(feasible.rbegin(), feasible.rend());
    const size_t top1 = std::max<size_t>(1, (feasible.size() + 99) / 100);
    for (const SearchAlgorithm algorithm : {SearchAlgorithm::kConstrainedEvolution, SearchAlgorithm::kRegularizedEvolution,
                                            SearchAlgorithm::kRandom, SearchAlgorithm::kExhaustive}) {
      std::vector<double> found;
      std::vector<size_t> ranks;
      int64_t evaluations = 0;
      for (uint64_t seed = 1; seed <= 10; ++seed) {
        SearchEngine::Options options = job.SearchOptions();
        options.seed = seed;
        options.strategy.algorithm = algorithm;
        if (algorithm == SearchAlgorithm::kRegularizedEvolution) options.strategy.tournament_size = 10;
        if (algorithm == SearchAlgorithm::kRandom) options.strategy.evaluations = 550;
        Evaluator evaluator(job.space(), job.EvaluatorOptions());
        SearchEngine engine(job.space(), evaluator, options);
        const SearchResult r = engine.Run();
        const double accuracy = measured.at(r.best.genome);
        found.push_back(accuracy);
        ranks.push_back(1 + std::count_if(feasible.begin(), feasible.end(), [&](double a) { return a > accuracy; }));
        evaluations = r.evaluations;
      }
      std::sort(ranks.begin(), ranks.end());
      double mean = 0;
      for (double a : found) mean += a / found.size();
      table += fmt::format("| {} ({} networks) | {} | {} | {:.2f} ({:.2f}-{:.2f}) | {} ({}) | {}/10 |\n", name,
                           feasible.size(), SearchAlgorithmToString(algorithm), evaluations, mean,
                           *std::min_element(found.begin(), found.end()), *std::max_element(found.begin(), found.end()),
                           ranks[4], ranks.back(), std::count_if(ranks.begin(), ranks.end(), [&](size_t k) { return k <= top1; }));
    }
    table += fmt::format("| {} | best possible | | {:.2f} | 1 | top 1% = best {} |\n", name, feasible.front(), top1);
  }
  std::cout << table;
}
