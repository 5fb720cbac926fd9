// Multi-objective helpers, all on minimisation (negate what is maximised):
// NSGA-II's fast non-dominated sort and crowding distance (Deb et al. 2002),
// and the hypervolume a front dominates.
#pragma once

#include <vector>

namespace edgenas {

using ObjectiveVector = std::vector<double>;

// a dominates b: no worse in every objective and better in one.
bool Dominates(const ObjectiveVector& a, const ObjectiveVector& b);

// Fronts of indices into `points`: front 0 is the non-dominated set, front 1
// is non-dominated once front 0 is removed, and so on. Within a front, indices
// ascend.
std::vector<std::vector<int>> NonDominatedSort(const std::vector<ObjectiveVector>& points);

// Crowding distance of each member of `front` (infinite at each objective's
// extremes), in the order of `front`.
std::vector<double> CrowdingDistance(const std::vector<ObjectiveVector>& points, const std::vector<int>& front);

// Volume dominated by `points` and bounded by `reference` (points not below
// the reference in every objective add nothing). Exact, by slicing objective
// by objective: fine for the fronts of a search (hundreds of points, up to 4
// objectives).
double Hypervolume(std::vector<ObjectiveVector> points, const ObjectiveVector& reference);

}  // namespace edgenas
