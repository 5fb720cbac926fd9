// Human- and machine-readable descriptions of a decoded network, for
// `edgenas arch describe`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "space/genome.h"
#include "space/search_space.h"

namespace edgenas {

// A per-layer cost column: "latency@note10" in ms, one value per decoded layer.
struct CostColumn {
  std::string metric;  // "latency@note10"
  std::string unit;    // "ms"
  std::vector<double> per_layer;
  double total = 0;  // the network's cost: the layers, scaled, plus the profile's per-network constant
};

// Layer table with per-layer and total MACs, parameters, peak activation memory
// and any device cost columns.
std::string DescribeNetworkText(const SearchSpace& space, const Genome& genome, const std::vector<CostColumn>& costs);
nlohmann::json DescribeNetworkJson(const SearchSpace& space, const Genome& genome, const std::vector<CostColumn>& costs);

// Structure of a space: stages, choices, size. For `edgenas space show`.
std::string DescribeSpaceText(const SearchSpace& space);

}  // namespace edgenas
