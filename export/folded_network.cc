#include "export/folded_network.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/error.h"
#include "common/rng.h"

namespace edgenas {

std::string ModuleName(const LayerSpec& layer) {
  std::string name = layer.name;
  std::replace(name.begin(), name.end(), '.', '_');
  return name;
}

namespace {

// Looks tensors up by name and shape, collecting every problem so that one
// error lists them all.
class StateReader {
 public:
  explicit StateReader(const std::map<std::string, FloatTensor>& state) : state_(state) {}

  // The tensor, or an empty one after noting why.
  FloatTensor Take(const std::string& name, const std::vector<int64_t>& shape) {
    const auto it = state_.find(name);
    if (it == state_.end()) {
      problems_.push_back(fmt::format("{}: missing (the network needs shape [{}])", name, fmt::join(shape, ", ")));
      return {};
    }
    if (it->second.shape != shape) {
      problems_.push_back(fmt::format("{}: shape [{}], but the network needs [{}]", name,
                                      fmt::join(it->second.shape, ", "), fmt::join(shape, ", ")));
      return {};
    }
    return it->second;
  }

  const std::vector<std::string>& problems() const { return problems_; }

 private:
  const std::map<std::string, FloatTensor>& state_;
  std::vector<std::string> problems_;
};

// A conv of `prefix` with the BatchNorm `bn_prefix` folded in (no BN if empty).
FoldedConv FoldConv(StateReader& reader, const std::string& prefix, const std::string& bn_prefix, int in, int out,
                    int kernel, int groups, bool bias) {
  FoldedConv folded;
  folded.weight = reader.Take(prefix + ".weight", {out, in / groups, kernel, kernel});
  folded.bias.assign(static_cast<size_t>(out), 0.0f);
  if (bias) {
    const FloatTensor b = reader.Take(prefix + ".bias", {out});
    if (!b.values.empty()) folded.bias = b.values;
  }
  if (bn_prefix.empty()) return folded;
  const FloatTensor gamma = reader.Take(bn_prefix + ".weight", {out});
  const FloatTensor beta = reader.Take(bn_prefix + ".bias", {out});
  const FloatTensor mean = reader.Take(bn_prefix + ".running_mean", {out});
  const FloatTensor var = reader.Take(bn_prefix + ".running_var", {out});
  if (folded.weight.values.empty() || gamma.values.empty() || beta.values.empty() || mean.values.empty() ||
      var.values.empty()) {
    return folded;  // the problems are noted
  }
  const size_t per_channel = folded.weight.values.size() / static_cast<size_t>(out);
  for (size_t c = 0; c < static_cast<size_t>(out); ++c) {
    // In double, so the folded network differs from the unfolded one by
    // float rounding of the result only.
    const double scale = gamma.values[c] / std::sqrt(static_cast<double>(var.values[c]) + kBatchNormEpsilon);
    float* w = folded.weight.values.data() + c * per_channel;
    for (size_t i = 0; i < per_channel; ++i) w[i] = static_cast<float>(w[i] * scale);
    folded.bias[c] = static_cast<float>(beta.values[c] + (folded.bias[c] - static_cast<double>(mean.values[c])) * scale);
  }
  return folded;
}

// The convolutions of layer `s`, each made by `conv` from its module prefix,
// BatchNorm prefix ("" if none) and shape; the one place that says which
// convolutions a layer has and of what shape.
template <typename MakeConv, typename MakeLinear>
FoldedLayer BuildLayer(const LayerSpec& s, MakeConv&& conv, MakeLinear&& linear) {
  const std::string m = ModuleName(s);
  FoldedLayer layer;
  switch (s.op) {
    case LayerOp::kConv:
      layer.conv = conv(m + ".conv", s.batch_norm ? m + ".bn" : "", s.in_channels, s.out_channels, s.kernel, s.groups,
                        s.bias);
      break;
    case LayerOp::kMBConv:
      if (s.has_expand_conv) {
        layer.expand = conv(m + ".expand", m + ".expand_bn", s.in_channels, s.mid_channels, 1, s.groups, false);
      }
      layer.depthwise =
          conv(m + ".depthwise", m + ".depthwise_bn", s.mid_channels, s.mid_channels, s.kernel, s.mid_channels, false);
      if (s.se) {
        layer.se_reduce = conv(m + ".se_reduce", "", s.mid_channels, s.se_channels, 1, 1, true);
        layer.se_expand = conv(m + ".se_expand", "", s.se_channels, s.mid_channels, 1, 1, true);
      }
      layer.project = conv(m + ".project", m + ".project_bn", s.mid_channels, s.out_channels, 1, s.groups, false);
      break;
    case LayerOp::kLinear:
      layer.linear = linear(m + ".linear", s.in_channels, s.out_channels);
      break;
    case LayerOp::kIdentity:
    case LayerOp::kGlobalAvgPool:
      break;
  }
  return layer;
}

FoldedLayer FoldLayer(StateReader& reader, const LayerSpec& s) {
  return BuildLayer(
      s,
      [&](const std::string& prefix, const std::string& bn_prefix, int in, int out, int kernel, int groups, bool bias) {
        return FoldConv(reader, prefix, bn_prefix, in, out, kernel, groups, bias);
      },
      [&](const std::string& prefix, int in, int out) {
        FoldedConv linear;
        linear.weight = reader.Take(prefix + ".weight", {out, in});
        linear.bias = reader.Take(prefix + ".bias", {out}).values;
        return linear;
      });
}

// Uniform in [-limit, limit].
std::vector<float> UniformValues(size_t count, double limit, Rng& rng) {
  std::vector<float> values(count);
  for (float& v : values) v = static_cast<float>((2 * rng.UniformReal() - 1) * limit);
  return values;
}

// He-uniform weights for `fan_in` inputs and small biases: activations keep
// their scale from layer to layer, as in a trained network.
FoldedConv RandomConv(std::vector<int64_t> shape, int fan_in, Rng& rng) {
  FoldedConv conv;
  size_t count = 1;
  for (int64_t d : shape) count *= static_cast<size_t>(d);
  conv.weight.shape = std::move(shape);
  conv.weight.values = UniformValues(count, std::sqrt(6.0 / fan_in), rng);
  conv.bias = UniformValues(static_cast<size_t>(conv.weight.shape[0]), 0.1, rng);
  return conv;
}

}  // namespace

FoldedLayer RandomFoldedLayer(const LayerSpec& layer, Rng& rng) {
  return BuildLayer(
      layer,
      [&](const std::string&, const std::string&, int in, int out, int kernel, int groups, bool) {
        return RandomConv({out, in / groups, kernel, kernel}, in / groups * kernel * kernel, rng);
      },
      [&](const std::string&, int in, int out) { return RandomConv({out, in}, in, rng); });
}

FoldedNetwork RandomFoldedNetwork(const NetworkSpec& spec, uint64_t seed) {
  Rng rng(seed);
  FoldedNetwork network;
  network.spec = spec;
  for (const LayerSpec& layer : spec.layers) network.layers.push_back(RandomFoldedLayer(layer, rng));
  return network;
}

FoldedNetwork FoldBatchNorm(const NetworkSpec& spec, const std::map<std::string, FloatTensor>& state,
                            const std::string& source) {
  StateReader reader(state);
  FoldedNetwork folded;
  folded.spec = spec;
  for (const LayerSpec& layer : spec.layers) folded.layers.push_back(FoldLayer(reader, layer));
  if (!reader.problems().empty()) {
    const size_t shown = std::min<size_t>(reader.problems().size(), 20);
    std::vector<std::string> lines(reader.problems().begin(), reader.problems().begin() + static_cast<long>(shown));
    if (shown < reader.problems().size()) lines.push_back(fmt::format("... and {} more", reader.problems().size() - shown));
    EDGENAS_THROW_FMT("{}: these weights are not this network's:\n  {}", source, fmt::join(lines, "\n  "));
  }
  return folded;
}

}  // namespace edgenas
