#include "search/search_context.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace edgenas {

void SearchContext::ExplainInfeasible(int violated) const {
  // The smallest (or largest) value of the broken constraint's metric found by
  // coordinate descent from the first genome: each gene in turn takes its best
  // value, until a pass changes nothing.
  const Evaluator::Constraint& c = evaluator_.constraints()[violated];
  const Evaluator::Metric& metric = evaluator_.metrics()[c.metric];
  const bool lower = c.max.has_value();
  Genome g = space_.Canonical(Genome{std::vector<uint8_t>(space_.genes().size(), 0)});
  double best = evaluator_.CheapValue(g, c.metric);
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t gene = 0; gene < space_.genes().size(); ++gene) {
      for (int value = 0; value < space_.genes()[gene].cardinality; ++value) {
        Genome trial = g;
        trial.genes[gene] = static_cast<uint8_t>(value);
        const double v = evaluator_.CheapValue(trial, c.metric);
        if (lower ? v < best : v > best) {
          best = v;
          g = trial;
          changed = true;
        }
      }
    }
  }
  const std::string bound = c.max ? fmt::format("<= {:g}", *c.max) : fmt::format(">= {:g}", *c.min);
  EDGENAS_THROW_FMT(
      "no feasible network found in {} random tries: '{} {}' is (nearly) out of reach. The {} {} found in space '{}' "
      "is {:.6g} {} ({}); relax the budget",
      options_.max_resample_tries, metric.name, bound, lower ? "smallest" : "largest", metric.name, space_.name(),
      best, metric.unit, space_.ToString(g));
}

Candidate SearchContext::SampleFeasible() {
  std::vector<int> broken(evaluator_.constraints().size(), 0);
  for (int attempt = 0; attempt < options_.max_resample_tries; ++attempt) {
    Candidate c{space_.Sample(state_.rng)};
    int violated = -1;
    if (evaluator_.CheckConstraints(c.genome, &violated)) return c;
    ++broken[violated];
  }
  ExplainInfeasible(static_cast<int>(std::max_element(broken.begin(), broken.end()) - broken.begin()));
}

Candidate SearchContext::MutateFeasible(const Candidate& parent, double probability) {
  for (int attempt = 0; attempt < options_.max_resample_tries; ++attempt) {
    Candidate child{parent.genome};
    space_.Mutate(&child.genome, probability, state_.rng);
    if (evaluator_.CheckConstraints(child.genome)) return child;
  }
  return parent;
}

Candidate SearchContext::CrossoverFeasible(const Candidate& a, const Candidate& b) {
  for (int attempt = 0; attempt < options_.max_resample_tries; ++attempt) {
    Candidate child{space_.Crossover(a.genome, b.genome, state_.rng)};
    if (evaluator_.CheckConstraints(child.genome)) return child;
  }
  return a;
}

std::vector<Candidate> SearchContext::MakeChildren(const std::function<const Candidate&()>& pick) {
  const int mutations = static_cast<int>(std::lround(options_.mutation_ratio * options_.population_size));
  std::vector<Candidate> children;
  for (int i = 0; i < mutations; ++i) children.push_back(MutateFeasible(pick(), options_.mutation_probability));
  for (int i = mutations; i < options_.population_size; ++i) {
    const Candidate a = pick();
    children.push_back(CrossoverFeasible(a, pick()));
  }
  Score(&children);
  return children;
}

void SearchContext::Score(std::vector<Candidate>* candidates) {
  evaluator_.Score(candidates);
  state_.evaluations += static_cast<int64_t>(candidates->size());
}

}  // namespace edgenas
