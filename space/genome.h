// A point of a search space: one small integer per gene. The same type serves
// every space; the space's gene layout (SearchSpace::genes()) says what each
// position means and how many values it may take.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace edgenas {

struct Genome {
  std::vector<uint8_t> genes;

  bool operator==(const Genome& other) const { return genes == other.genes; }
  bool operator!=(const Genome& other) const { return genes != other.genes; }
  bool operator<(const Genome& other) const { return genes < other.genes; }
};

struct GenomeHash {
  size_t operator()(const Genome& genome) const {
    // FNV-1a: short vectors of small values, no need for anything stronger.
    uint64_t hash = 1469598103934665603ull;
    for (uint8_t gene : genome.genes) {
      hash ^= gene;
      hash *= 1099511628211ull;
    }
    return static_cast<size_t>(hash);
  }
};

}  // namespace edgenas
