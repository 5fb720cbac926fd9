#include "cost/lut_interpolation.h"

#include <algorithm>
#include <cmath>
#include <regex>

#include "space/network_stats.h"

namespace edgenas {

namespace {

// The channel counts of each key format (lut_keys.h): group 2 of each match.
// Once-for-All: input:HxWxC, output:HxWxC, Logits' output:N and expand:M (the
// expanded width); ProxylessNAS's expand is a ratio, not a width.
// HW-NAS-Bench: CinN, CoutN. edgenas: in:HxWxC, out:HxWxC, linear's out:N, midN, seN.
const std::regex& ChannelRegex(LutKeyFormat format) {
  static const std::regex ofa("(input:\\d+x\\d+x|output:\\d+x\\d+x|output:|expand:)(\\d+)");
  static const std::regex proxyless("(input:\\d+x\\d+x|output:\\d+x\\d+x|output:)(\\d+)");
  static const std::regex hwnasbench("(Cin|Cout)(\\d+)");
  static const std::regex native("(in:\\d+x\\d+x|out:\\d+x\\d+x|out:|-mid|-se)(\\d+)");
  switch (format) {
    case LutKeyFormat::kOfa: return ofa;
    case LutKeyFormat::kProxyless: return proxyless;
    case LutKeyFormat::kHwNasBench: return hwnasbench;
    case LutKeyFormat::kNative: break;
  }
  return native;
}

// `layer` with the channel counts of a neighbour's key. Widths the key does
// not carry follow the ones it does: the expanded width by the layer's expand
// ratio, the squeeze-and-excite width in proportion to the expanded one.
LayerSpec WithChannels(LayerSpec layer, const std::vector<int>& channels) {
  layer.in_channels = channels[0];
  if (channels.size() > 1) layer.out_channels = channels[1];
  if (layer.op != LayerOp::kMBConv) return layer;
  const int mid = channels.size() > 2 ? channels[2]
                                      : static_cast<int>(std::lround(layer.in_channels * layer.expand_ratio));
  if (channels.size() > 3) {
    layer.se_channels = channels[3];
  } else if (layer.se && layer.mid_channels > 0) {
    layer.se_channels = std::max(1, static_cast<int>(std::lround(static_cast<double>(layer.se_channels) * mid / layer.mid_channels)));
  }
  layer.mid_channels = mid;
  return layer;
}

}  // namespace

ChannelSplit SplitChannels(const std::string& key, LutKeyFormat format) {
  ChannelSplit split;
  size_t copied = 0;
  for (auto it = std::sregex_iterator(key.begin(), key.end(), ChannelRegex(format)); it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    const std::string number = m.str(2);
    // A zero width is a structural choice ("se0": no squeeze-and-excite), not a
    // size; ten digits or more is no channel count (and would overflow stoi).
    if (number == "0" || number.size() > 9) continue;
    const size_t at = m.position(2);
    split.pattern.append(key, copied, at - copied).push_back('#');
    copied = at + number.size();
    split.channels.push_back(std::stoi(number));
  }
  split.pattern.append(key, copied, std::string::npos);
  return split;
}

LutInterpolator::LutInterpolator(const std::unordered_map<std::string, double>& table, LutKeyFormat format)
    : format_(format) {
  for (const auto& [key, cost] : table) {
    ChannelSplit split = SplitChannels(key, format);
    if (split.channels.empty()) continue;  // nothing to interpolate along
    by_pattern_[split.pattern].push_back({key, std::move(split.channels), cost});
  }
  // A stable order, so that ties in MACs resolve the same way on every run.
  for (auto& [pattern, neighbours] : by_pattern_) {
    std::sort(neighbours.begin(), neighbours.end(), [](const Neighbour& a, const Neighbour& b) { return a.key < b.key; });
  }
}

std::optional<EstimatedEntry> LutInterpolator::Estimate(const std::string& key, const LayerSpec& layer) const {
  const ChannelSplit split = SplitChannels(key, format_);
  const auto found = by_pattern_.find(split.pattern);
  if (found == by_pattern_.end()) return std::nullopt;
  const double macs = static_cast<double>(ComputeLayerStats(layer).macs);
  const Neighbour* below = nullptr;  // the most MACs at or under the layer's
  const Neighbour* above = nullptr;  // the fewest MACs over the layer's
  double below_macs = 0, above_macs = 0;
  for (const Neighbour& n : found->second) {
    if (n.key == key || n.channels.size() != split.channels.size()) continue;
    const double n_macs = static_cast<double>(ComputeLayerStats(WithChannels(layer, n.channels)).macs);
    if (n_macs <= macs && (below == nullptr || n_macs > below_macs)) {
      below = &n;
      below_macs = n_macs;
    } else if (n_macs > macs && (above == nullptr || n_macs < above_macs)) {
      above = &n;
      above_macs = n_macs;
    }
  }
  if (below != nullptr && above != nullptr) {
    const double t = (macs - below_macs) / (above_macs - below_macs);
    return EstimatedEntry{below->cost + t * (above->cost - below->cost), {below->key, above->key}};
  }
  const Neighbour* nearest = below != nullptr ? below : above;
  if (nearest == nullptr) return std::nullopt;
  const double nearest_macs = below != nullptr ? below_macs : above_macs;
  // A layer without MACs (a pooling or skip key) costs what its neighbour does.
  const double ratio = nearest_macs > 0 && macs > 0 ? macs / nearest_macs : 1.0;
  return EstimatedEntry{nearest->cost * ratio, {nearest->key}};
}

}  // namespace edgenas
