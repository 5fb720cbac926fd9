#include "search/pareto.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace edgenas {

bool Dominates(const ObjectiveVector& a, const ObjectiveVector& b) {
  bool better = false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] > b[i]) return false;
    better |= a[i] < b[i];
  }
  return better;
}

std::vector<std::vector<int>> NonDominatedSort(const std::vector<ObjectiveVector>& points) {
  const int n = static_cast<int>(points.size());
  std::vector<std::vector<int>> dominated(n);  // the points each one dominates
  std::vector<int> domination_count(n, 0);
  std::vector<std::vector<int>> fronts(1);
  for (int p = 0; p < n; ++p) {
    for (int q = 0; q < n; ++q) {
      if (Dominates(points[p], points[q])) {
        dominated[p].push_back(q);
      } else if (Dominates(points[q], points[p])) {
        ++domination_count[p];
      }
    }
    if (domination_count[p] == 0) fronts[0].push_back(p);
  }
  while (!fronts.back().empty()) {
    std::vector<int> next;
    for (int p : fronts.back()) {
      for (int q : dominated[p]) {
        if (--domination_count[q] == 0) next.push_back(q);
      }
    }
    std::sort(next.begin(), next.end());
    fronts.push_back(std::move(next));
  }
  fronts.pop_back();
  return fronts;
}

std::vector<double> CrowdingDistance(const std::vector<ObjectiveVector>& points, const std::vector<int>& front) {
  const size_t n = front.size();
  std::vector<double> distance(n, 0.0);
  if (n == 0) return distance;
  const size_t objectives = points[front[0]].size();
  std::vector<size_t> order(n);
  for (size_t m = 0; m < objectives; ++m) {
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return points[front[a]][m] < points[front[b]][m]; });
    const double low = points[front[order.front()]][m], high = points[front[order.back()]][m];
    distance[order.front()] = distance[order.back()] = std::numeric_limits<double>::infinity();
    if (high == low) continue;
    for (size_t i = 1; i + 1 < n; ++i) {
      distance[order[i]] += (points[front[order[i + 1]]][m] - points[front[order[i - 1]]][m]) / (high - low);
    }
  }
  return distance;
}

double Hypervolume(std::vector<ObjectiveVector> points, const ObjectiveVector& reference) {
  // Keep the points strictly inside the reference box.
  points.erase(std::remove_if(points.begin(), points.end(),
                              [&](const ObjectiveVector& p) {
                                for (size_t i = 0; i < p.size(); ++i) {
                                  if (p[i] >= reference[i]) return true;
                                }
                                return false;
                              }),
               points.end());
  if (points.empty()) return 0;
  const size_t d = reference.size();
  if (d == 1) {
    double best = reference[0];
    for (const ObjectiveVector& p : points) best = std::min(best, p[0]);
    return reference[0] - best;
  }
  // Slice along the last objective: between consecutive values, the dominated
  // region is the (d-1)-dimensional hypervolume of the points below the slice.
  std::sort(points.begin(), points.end(), [&](const auto& a, const auto& b) { return a[d - 1] < b[d - 1]; });
  double volume = 0;
  std::vector<ObjectiveVector> below;
  const ObjectiveVector reference_lower(reference.begin(), reference.end() - 1);
  for (size_t i = 0; i < points.size(); ++i) {
    below.emplace_back(points[i].begin(), points[i].end() - 1);
    const double next = i + 1 < points.size() ? points[i + 1][d - 1] : reference[d - 1];
    if (next > points[i][d - 1]) volume += Hypervolume(below, reference_lower) * (next - points[i][d - 1]);
  }
  return volume;
}

}  // namespace edgenas
