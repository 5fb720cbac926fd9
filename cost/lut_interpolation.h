// Estimating a lookup-table entry the table lacks from its neighbours in
// channel count, for profiles that cover a space only in part (a published
// table made for another width multiplier, a measurement that skipped a few
// layers). Only on request: a recipe names the devices it accepts estimates
// for (docs/hardware_profiles.md, "Missing keys").
//
// Two keys are neighbours when they differ only in channel counts (input,
// output, expanded and squeeze-and-excite widths): the same operator, feature
// map, kernel, stride, activation, ... An entry is estimated from its
// neighbours by the layer's multiply-accumulates, the work that grows with the
// channels:
//   - between the nearest neighbour below and the nearest above in MACs,
//     linearly in MACs;
//   - beyond all of them, from the nearest one, in proportion to MACs.
// Which numbers in a key are channel counts depends on the key format
// (lut_keys.h); in every format they come in the order input, output, then
// expanded and squeeze-and-excite widths where the key has them.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cost/hardware_profile.h"
#include "space/layer_spec.h"

namespace edgenas {

// A key with its channel counts taken out: keys with equal `pattern` are neighbours.
struct ChannelSplit {
  std::string pattern;        // the key with each channel count replaced by '#'
  std::vector<int> channels;  // in key order: input, output[, expanded[, squeeze-and-excite]]
};
ChannelSplit SplitChannels(const std::string& key, LutKeyFormat format);

struct EstimatedEntry {
  double cost = 0;
  std::vector<std::string> neighbours;  // the one or two keys it came from
};

class LutInterpolator {
 public:
  // Indexes `table` (key -> cost) by pattern. The table is copied from, not kept.
  LutInterpolator(const std::unordered_map<std::string, double>& table, LutKeyFormat format);

  // The estimate for `key`, whose layer is `layer`, from its neighbours;
  // nullopt if the table has none. A key is not its own neighbour, so a
  // leave-one-out study can pass keys the table holds.
  std::optional<EstimatedEntry> Estimate(const std::string& key, const LayerSpec& layer) const;

 private:
  struct Neighbour {
    std::string key;
    std::vector<int> channels;
    double cost;
  };
  LutKeyFormat format_;
  std::unordered_map<std::string, std::vector<Neighbour>> by_pattern_;
};

}  // namespace edgenas
