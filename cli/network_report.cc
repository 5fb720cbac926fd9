#include "cli/network_report.h"

#include <fmt/format.h>

#include <cmath>
#include <numeric>

#include "common/text.h"
#include "space/network_stats.h"

namespace edgenas {

namespace {

std::string Shape(int size, int channels) { return fmt::format("{}x{}x{}", size, size, channels); }

// Peak memory as int8 bytes, the deployed format (one byte per activation value).
std::string Kilobytes(int64_t values) { return fmt::format("{:.1f} KB", values / 1024.0); }

std::string SizeText(double count) {
  return count < 1e15 ? WithThousands(static_cast<long long>(count)) : fmt::format("{:.3e}", count);
}

}  // namespace

std::string DescribeNetworkText(const SearchSpace& space, const Genome& genome, const std::vector<CostColumn>& costs) {
  const NetworkSpec net = space.Decode(genome);
  const NetworkStats stats = ComputeStats(net);
  std::string out = fmt::format("space       {}\narch        {}\n", space.name(), space.ToString(genome));
  const Genome canonical = space.Canonical(genome);
  if (canonical != genome && space.ToString(canonical) != space.ToString(genome)) {
    out += fmt::format("canonical   {}\n", space.ToString(canonical));
  }
  if (space.has_ofa_json()) out += fmt::format("ofa json    {}\n", space.ToOfaJson(genome));
  out += fmt::format("resolution  {}\n\n", net.resolution);
  out += fmt::format("{:<8} {:<8} {:>14} {:>14} {:>2} {:>2} {:>6} {:>5} {:>3} {:<6} {:>4} {:>13} {:>11} {:>12}", "layer",
                     "op", "input", "output", "k", "s", "expand", "mid", "se", "act", "skip", "MACs", "params",
                     "peak mem");
  for (const CostColumn& c : costs) out += fmt::format(" {:>18}", fmt::format("{} {}", c.metric, c.unit));
  out += "\n";
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const LayerSpec& l = net.layers[i];
    const LayerStats& s = stats.layers[i];
    const bool mb = l.op == LayerOp::kMBConv;
    const bool has_kernel = l.op == LayerOp::kConv || mb;
    out += fmt::format("{:<8} {:<8} {:>14} {:>14} {:>2} {:>2} {:>6} {:>5} {:>3} {:<6} {:>4} {:>13} {:>11} {:>12}",
                       l.name, LayerOpToString(l.op), Shape(l.in_size, l.in_channels), Shape(l.out_size, l.out_channels),
                       has_kernel ? std::to_string(l.kernel) : "-", has_kernel ? std::to_string(l.stride) : "-",
                       mb ? fmt::format("{:g}", l.expand_ratio) : "-", mb ? std::to_string(l.mid_channels) : "-",
                       mb ? (l.se ? "yes" : "no") : "-", ActivationToString(l.activation),
                       l.residual || l.op == LayerOp::kIdentity ? "yes" : "no", WithThousands(s.macs),
                       WithThousands(s.params), Kilobytes(s.peak_activations));
    for (const CostColumn& c : costs) out += fmt::format(" {:>18.4f}", c.per_layer[i]);
    out += "\n";
  }
  out += fmt::format("\ntotal       {} MACs ({:.2f} M), {} params ({:.3f} M), peak activation memory {} values "
                     "({} at int8)\n",
                     WithThousands(stats.macs), stats.macs / 1e6, WithThousands(stats.params), stats.params / 1e6,
                     WithThousands(stats.peak_activations), Kilobytes(stats.peak_activations));
  for (const CostColumn& c : costs) {
    const double layers = std::accumulate(c.per_layer.begin(), c.per_layer.end(), 0.0);
    out += fmt::format("            {} {:.4f} {}", c.metric, c.total, c.unit);
    if (std::abs(c.total - layers) > 1e-12) {
      out += fmt::format(" (layers {:.4f} + per-network constant {:.4f})", layers, c.total - layers);
    }
    out += "\n";
  }
  return out;
}

nlohmann::json DescribeNetworkJson(const SearchSpace& space, const Genome& genome, const std::vector<CostColumn>& costs) {
  const NetworkSpec net = space.Decode(genome);
  const NetworkStats stats = ComputeStats(net);
  nlohmann::json layers = nlohmann::json::array();
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const LayerSpec& l = net.layers[i];
    nlohmann::json layer = {{"name", l.name},
                            {"op", LayerOpToString(l.op)},
                            {"input", {l.in_size, l.in_size, l.in_channels}},
                            {"output", {l.out_size, l.out_size, l.out_channels}},
                            {"kernel", l.kernel},
                            {"stride", l.stride},
                            {"groups", l.groups},
                            {"activation", ActivationToString(l.activation)},
                            {"skip", l.residual || l.op == LayerOp::kIdentity},
                            {"residual", l.residual},
                            {"batch_norm", l.batch_norm},
                            {"bias", l.bias},
                            {"macs", stats.layers[i].macs},
                            {"params", stats.layers[i].params},
                            {"peak_memory", stats.layers[i].peak_activations}};
    for (const CostColumn& c : costs) layer["cost"][c.metric] = c.per_layer[i];
    if (l.op == LayerOp::kMBConv) {
      layer["expand_ratio"] = l.expand_ratio;
      layer["mid_channels"] = l.mid_channels;
      layer["se"] = l.se;
      layer["se_channels"] = l.se_channels;
      layer["has_expand_conv"] = l.has_expand_conv;
    }
    layers.push_back(std::move(layer));
  }
  nlohmann::json json = {{"space", space.name()},
                         {"arch", space.ToString(genome)},
                         {"canonical_arch", space.ToString(space.Canonical(genome))},
                         {"resolution", net.resolution},
                         {"layers", std::move(layers)},
                         {"total", {{"macs", stats.macs}, {"params", stats.params}, {"peak_memory", stats.peak_activations}}},
                         {"units", {{"peak_memory", "activation values at batch 1 (bytes at int8)"}}}};
  for (const CostColumn& c : costs) {
    json["total"]["cost"][c.metric] = c.total;
    json["units"]["cost"][c.metric] = c.unit;
  }
  if (space.has_ofa_json()) json["ofa_json"] = nlohmann::json::parse(space.ToOfaJson(genome));
  return json;
}

std::string DescribeSpaceText(const SearchSpace& space) {
  const SpaceSpec& spec = space.spec();
  std::string out = fmt::format("{}\n  {}\n  source: {}\n\n", spec.name, spec.description, spec.source);
  out += fmt::format("input       {} channels, resolution {}\n", spec.input_channels,
                     spec.resolutions.size() == 1
                         ? std::to_string(spec.resolutions[0])
                         : fmt::format("{} choices: {}", spec.resolutions.size(), fmt::join(spec.resolutions, " ")));
  auto fixed = [](const LayerTemplate& t) {
    std::string text = LayerOpToString(t.op);
    if (t.out_channels > 0) text += fmt::format(" out {}", t.out_channels);
    if (t.op == LayerOp::kConv || t.op == LayerOp::kMBConv) text += fmt::format(" k{} s{}", t.kernel, t.stride);
    if (t.op == LayerOp::kMBConv) text += fmt::format(" e{:g}", t.expand_ratio);
    return text;
  };
  std::vector<std::string> stem, head;
  for (const LayerTemplate& t : spec.stem) stem.push_back(fixed(t));
  for (const LayerTemplate& t : spec.head) head.push_back(fixed(t));
  out += fmt::format("stem        {}\n", JoinStrings(stem, "; "));
  out += fmt::format("\n{:<6} {:<10} {:>6} {:<9} {:<13} {:<8} {}\n", "stage", "out", "stride", "depth", "act", "se",
                     "choices per layer");
  for (size_t s = 0; s < spec.stages.size(); ++s) {
    const StageSpec& stage = spec.stages[s];
    std::string choices;
    if (space.factored()) {
      choices = fmt::format("kernel {{{}}} x expand {{{}}}", fmt::join(stage.kernels, ","),
                            fmt::join(stage.expand_ratios, ","));
    } else {
      std::vector<std::string> names;
      for (size_t i = 0; i < stage.operators.size(); ++i) {
        names.push_back(fmt::format("{}={}", i, spec.operators[stage.operators[i]].name));
      }
      choices = JoinStrings(names, " ");
    }
    std::vector<std::string> activations, se;
    for (Activation a : stage.activations) activations.push_back(ActivationToString(a));
    for (bool b : stage.se) se.push_back(b ? "yes" : "no");
    auto options = [](const auto& values) {
      return values.size() == 1 ? fmt::format("{}", values[0]) : fmt::format("{{{}}}", fmt::join(values, ","));
    };
    out += fmt::format("{:<6} {:<10} {:>6} {:<9} {:<13} {:<8} {}\n", s, options(stage.widths), stage.stride,
                       fmt::format("{{{}}}", fmt::join(stage.depths, ",")), options(activations), options(se), choices);
  }
  out += fmt::format("\nhead        {}\n", JoinStrings(head, "; "));
  out += fmt::format("\ngenes       {}\n", space.genes().size());
  out += fmt::format("size        {} genomes, {} distinct networks\n", SizeText(space.NumGenomes()),
                     SizeText(space.NumDistinctNetworks()));
  return out;
}

}  // namespace edgenas
