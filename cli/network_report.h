// Human- and machine-readable descriptions of a decoded network, for
// `edgenas arch describe`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "space/genome.h"
#include "space/search_space.h"

namespace edgenas {

// Layer table with per-layer and total MACs, parameters and peak activation memory.
std::string DescribeNetworkText(const SearchSpace& space, const Genome& genome);
nlohmann::json DescribeNetworkJson(const SearchSpace& space, const Genome& genome);

// Structure of a space: stages, choices, size. For `edgenas space show`.
std::string DescribeSpaceText(const SearchSpace& space);

}  // namespace edgenas
