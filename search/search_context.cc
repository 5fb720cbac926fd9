#include "search/search_context.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace edgenas {

// The genome with the smallest (or, for a lower bound, largest) value of the
// constraint's metric that coordinate descent finds from the first genome:
// each gene in turn takes its best value, until a pass changes nothing.
Genome SearchContext::DescendTowards(int constraint) const {
  const Evaluator::Constraint& c = evaluator_.constraints()[constraint];
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
  return g;
}

void SearchContext::ExplainInfeasible(int violated, const Genome& closest) const {
  const Evaluator::Constraint& c = evaluator_.constraints()[violated];
  const Evaluator::Metric& metric = evaluator_.metrics()[c.metric];
  const std::string bound = c.max ? fmt::format("<= {:g}", *c.max) : fmt::format(">= {:g}", *c.min);
  EDGENAS_THROW_FMT(
      "no feasible network found in {} random tries: '{} {}' is (nearly) out of reach. The {} {} found in space '{}' "
      "is {:.6g} {} ({}); relax the budget",
      options_.max_resample_tries, metric.name, bound, c.max ? "smallest" : "largest", metric.name, space_.name(),
      evaluator_.CheapValue(closest, c.metric), metric.unit, space_.ToString(closest));
}

Candidate SearchContext::SampleFeasible() {
  std::vector<int> broken(evaluator_.constraints().size(), 0);
  for (int attempt = 0; attempt < options_.max_resample_tries; ++attempt) {
    Candidate c{space_.Sample(state_.rng)};
    int violated = -1;
    if (evaluator_.CheckConstraints(c.genome, &violated)) return c;
    ++broken[violated];
  }
  // Uniform sampling rarely meets the budget. If coordinate descent reaches
  // it, walk from there: each sample is the last one mutated within budget.
  if (!walker_) {
    const int violated = static_cast<int>(std::max_element(broken.begin(), broken.end()) - broken.begin());
    const Genome closest = DescendTowards(violated);
    if (!evaluator_.CheckConstraints(closest)) ExplainInfeasible(violated, closest);
    walker_ = Candidate{closest};
  }
  walker_ = MutateFeasible(*walker_, std::max(options_.mutation_probability, 0.1));
  return Candidate{walker_->genome};
}

Candidate SearchContext::MutateFeasible(const Candidate& parent, double probability) {
  for (int attempt = 0; attempt < options_.max_resample_tries; ++attempt) {
    Candidate child{parent.genome};
    space_.Mutate(&child.genome, probability, state_.rng, options_.mutation);
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
