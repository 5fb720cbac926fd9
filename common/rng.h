// Deterministic random numbers for every random choice in edgenas.
//
// std::mt19937_64's output sequence is fixed by the C++ standard, but the
// std::*_distribution classes are not: libstdc++ and libc++ map the same bits
// to different values. Results must be identical for a given seed on every
// platform, so the two mappings we need are written here by hand.
#pragma once

#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"

namespace edgenas {

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  // Uniform integer in [0, n). n must be positive.
  uint32_t UniformInt(uint32_t n) {
    EDGENAS_ASSERT(n > 0);
    // Rejection sampling on the top bits keeps the result exactly uniform.
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do {
      x = engine_();
    } while (x >= limit);
    return static_cast<uint32_t>(x % n);
  }

  // Uniform double in [0, 1) with 53 random bits.
  double UniformReal() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  // True with probability p.
  bool Bernoulli(double p) { return UniformReal() < p; }

  // Fisher-Yates shuffle (std::shuffle's draws differ between standard libraries).
  template <typename T>
  void Shuffle(std::vector<T>* items) {
    for (size_t i = items->size(); i > 1; --i) std::swap((*items)[i - 1], (*items)[UniformInt(static_cast<uint32_t>(i))]);
  }

  // The engine's state as text (the standard's portable format), for checkpoints.
  std::string SaveState() const {
    std::ostringstream out;
    out << engine_;
    return out.str();
  }
  // Throws Error if `state` is not what SaveState wrote.
  void LoadState(const std::string& state) {
    std::istringstream in(state);
    in >> engine_;
    EDGENAS_THROW_IF_NOT_FMT(!in.fail(), "malformed random-generator state in a checkpoint");
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace edgenas
