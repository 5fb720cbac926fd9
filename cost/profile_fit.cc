#include "cost/profile_fit.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include <filesystem>

#include "common/csv_reader.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/rng.h"
#include "common/text.h"
#include "cost/lut_cost_model.h"
#include "cost/lut_keys.h"

namespace edgenas {

// Written by hand: Debian's Eigen (3.4.0) predates Eigen's NNLS module, and the
// active-set method is short on top of Eigen's QR.
std::vector<double> NonNegativeLeastSquares(const std::vector<double>& a_data, const std::vector<double>& b_data,
                                            int rows, int cols) {
  using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const Matrix> a(a_data.data(), rows, cols);
  const Eigen::Map<const Eigen::VectorXd> b(b_data.data(), rows);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(cols);
  std::vector<bool> passive(cols, false);
  const double tolerance = 1e-10 * std::max(1.0, a.cwiseAbs().maxCoeff() * b.cwiseAbs().maxCoeff()) * cols;

  // Least squares over the passive columns only; the others stay 0.
  auto solve_passive = [&]() {
    std::vector<int> columns;
    for (int j = 0; j < cols; ++j) {
      if (passive[j]) columns.push_back(j);
    }
    Eigen::MatrixXd sub(rows, columns.size());
    for (size_t k = 0; k < columns.size(); ++k) sub.col(k) = a.col(columns[k]);
    const Eigen::VectorXd z = sub.colPivHouseholderQr().solve(b);
    Eigen::VectorXd s = Eigen::VectorXd::Zero(cols);
    for (size_t k = 0; k < columns.size(); ++k) s[columns[k]] = z[k];
    return s;
  };

  for (int outer = 0; outer < 3 * cols + 10; ++outer) {
    const Eigen::VectorXd gradient = a.transpose() * (b - a * x);
    int best = -1;
    for (int j = 0; j < cols; ++j) {
      if (!passive[j] && gradient[j] > tolerance && (best < 0 || gradient[j] > gradient[best])) best = j;
    }
    if (best < 0) break;  // optimal: no active column can lower the residual
    passive[best] = true;
    for (int inner = 0; inner < 3 * cols + 10; ++inner) {
      const Eigen::VectorXd s = solve_passive();
      bool feasible = true;
      double step = 1.0;
      for (int j = 0; j < cols; ++j) {
        if (passive[j] && s[j] <= 0) {
          feasible = false;
          step = std::min(step, x[j] / (x[j] - s[j]));
        }
      }
      if (feasible) {
        x = s;
        break;
      }
      // Move towards s until a variable reaches 0, and make it active again.
      x += step * (s - x);
      for (int j = 0; j < cols; ++j) {
        if (passive[j] && x[j] <= tolerance) {
          passive[j] = false;
          x[j] = 0;
        }
      }
    }
  }
  return std::vector<double>(x.data(), x.data() + cols);
}

namespace {

// Block-usage counts: one column per LUT key of the blocks, one per resolution
// for the constant (stem, head, and per-network overhead together). Where the
// head reads a width the network chooses, the head layers get columns too.
// With layer features, one column per feature (resolution 0) and the
// constants; rows are fitted on relative errors, so that small and large
// networks weigh alike.
struct Design {
  std::vector<std::pair<int, std::string>> columns;  // (resolution, key); key "" = the constant
  std::vector<std::vector<std::pair<int, double>>> rows;  // sparse: (column, count)
  bool relative = false;
};

Design BuildFeatureDesign(const SearchSpace& space, const std::vector<Timing>& timings) {
  Design d;
  d.relative = true;
  const std::vector<std::string> names = LayerFeatureNames();
  for (const std::string& name : names) d.columns.emplace_back(0, name);
  std::map<int, int> constant;  // resolution -> column
  for (const Timing& t : timings) {
    std::string error;
    EDGENAS_THROW_IF_NOT_FMT(space.IsValid(t.genome, &error), "a timing's architecture does not fit space '{}': {}",
                             space.name(), error);
    const NetworkSpec net = space.Decode(t.genome);
    std::vector<double> sums(names.size(), 0.0);
    for (const LayerSpec& layer : net.layers) {
      const std::vector<double> f = LayerFeatures(layer);
      for (size_t k = 0; k < f.size(); ++k) sums[k] += f[k];
    }
    const auto [it, added] = constant.emplace(net.resolution, static_cast<int>(d.columns.size()));
    if (added) d.columns.emplace_back(net.resolution, "");
    std::vector<std::pair<int, double>> row = {{it->second, 1.0}};
    for (size_t k = 0; k < sums.size(); ++k) row.emplace_back(static_cast<int>(k), sums[k]);
    d.rows.push_back(std::move(row));
  }
  return d;
}

Design BuildDesign(const SearchSpace& space, LutKeyFormat format, const std::vector<Timing>& timings) {
  Design d;
  std::map<std::pair<int, std::string>, int> index;
  auto column = [&](int r, const std::string& key) {
    const auto [it, added] = index.emplace(std::make_pair(r, key), static_cast<int>(d.columns.size()));
    if (added) d.columns.emplace_back(r, key);
    return it->second;
  };
  const size_t stem = space.spec().stem.size();
  const size_t head = space.head_gene() >= 0 ? 0 : space.spec().head.size();
  for (const Timing& t : timings) {
    std::string error;
    EDGENAS_THROW_IF_NOT_FMT(space.IsValid(t.genome, &error), "a timing's architecture does not fit space '{}': {}",
                             space.name(), error);
    const NetworkSpec net = space.Decode(t.genome);
    const std::vector<std::string> keys = LutKeys(net, format);
    std::map<int, double> counts;
    counts[column(net.resolution, "")] = 1.0;
    for (size_t i = stem; i + head < keys.size(); ++i) {
      if (!keys[i].empty()) counts[column(net.resolution, keys[i])] += 1.0;
    }
    d.rows.emplace_back(counts.begin(), counts.end());
  }
  return d;
}

std::vector<double> Solve(const Design& d, const std::vector<Timing>& timings, const std::vector<int>& rows) {
  const int cols = static_cast<int>(d.columns.size());
  std::vector<double> a(rows.size() * cols, 0.0), b(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const double weight = d.relative ? 1.0 / timings[rows[i]].value : 1.0;
    for (const auto& [column, count] : d.rows[rows[i]]) a[i * cols + column] = count * weight;
    b[i] = timings[rows[i]].value * weight;
  }
  if (!d.relative) return NonNegativeLeastSquares(a, b, static_cast<int>(rows.size()), cols);
  // Features differ by orders of magnitude (MACs against layer counts): each
  // column is scaled to a largest value of 1 for the solver, then back.
  std::vector<double> scale(cols, 0.0);
  for (size_t i = 0; i < rows.size(); ++i) {
    for (int c = 0; c < cols; ++c) scale[c] = std::max(scale[c], std::abs(a[i * cols + c]));
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    for (int c = 0; c < cols; ++c) a[i * cols + c] /= scale[c] > 0 ? scale[c] : 1.0;
  }
  std::vector<double> x = NonNegativeLeastSquares(a, b, static_cast<int>(rows.size()), cols);
  for (int c = 0; c < cols; ++c) x[c] /= scale[c] > 0 ? scale[c] : 1.0;
  return x;
}

double Predict(const Design& d, const std::vector<double>& x, int row) {
  double sum = 0;
  for (const auto& [column, count] : d.rows[row]) sum += x[column] * count;
  return sum;
}

}  // namespace

std::vector<std::string> LayerFeatureNames() {
  return {"conv_macs",        "pointwise_macs",   "depthwise_macs",   "depthwise_outputs", "se_macs",
          "pooled_elements",  "hswish_elements",  "relu_elements",    "residual_elements", "tensor_elements",
          "weights",          "convolutions",     "linear_macs"};
}

// Written from the LayerSpec's shapes, so that each kind of work is its own
// feature (ComputeLayerStats sums MACs over a layer's parts).
std::vector<double> LayerFeatures(const LayerSpec& s) {
  enum { kConv, kPointwise, kDepthwise, kDepthwiseOut, kSe, kPooled, kHSwish, kReLU, kResidual, kTensor, kWeights,
         kConvolutions, kLinear, kCount };
  std::vector<double> f(kCount, 0.0);
  const double in_area = static_cast<double>(s.in_size) * s.in_size;
  const double out_area = static_cast<double>(s.out_size) * s.out_size;
  const auto activation = [&](double elements) {
    if (s.activation == Activation::kHSwish) f[kHSwish] += elements;
    if (s.activation == Activation::kReLU || s.activation == Activation::kReLU6) f[kReLU] += elements;
  };
  f[kTensor] = s.in_channels * in_area + s.out_channels * out_area;
  switch (s.op) {
    case LayerOp::kConv: {
      const double weights = static_cast<double>(s.in_channels) / s.groups * s.out_channels * s.kernel * s.kernel;
      f[s.kernel == 1 ? kPointwise : kConv] = weights * out_area;
      f[kWeights] = weights;
      f[kConvolutions] = 1;
      activation(s.out_channels * out_area);
      break;
    }
    case LayerOp::kMBConv: {
      const double mid = s.mid_channels;
      if (s.has_expand_conv) {
        f[kPointwise] += s.in_channels / static_cast<double>(s.groups) * mid * in_area;
        f[kWeights] += s.in_channels / static_cast<double>(s.groups) * mid;
        f[kConvolutions] += 1;
        activation(mid * in_area);
      }
      f[kDepthwise] = mid * s.kernel * s.kernel * out_area;
      f[kDepthwiseOut] = mid * out_area;
      f[kWeights] += mid * s.kernel * s.kernel;
      f[kConvolutions] += 1;
      activation(mid * out_area);
      if (s.se) {
        f[kSe] = 2.0 * mid * s.se_channels;
        f[kPooled] += mid * out_area;  // the pool reads it, the gate multiplies it
        f[kHSwish] += mid;             // the gate's hard sigmoid
        f[kWeights] += 2.0 * mid * s.se_channels;
        f[kConvolutions] += 2;
      }
      f[kPointwise] += mid / s.groups * s.out_channels * out_area;
      f[kWeights] += mid / s.groups * s.out_channels;
      f[kConvolutions] += 1;
      if (s.residual) f[kResidual] = s.out_channels * out_area;
      break;
    }
    case LayerOp::kGlobalAvgPool:
      f[kPooled] = s.in_channels * in_area;
      break;
    case LayerOp::kLinear:
      f[kLinear] = static_cast<double>(s.in_channels) * s.out_channels;
      f[kWeights] = static_cast<double>(s.in_channels) * s.out_channels;
      break;
    case LayerOp::kIdentity:
      f[kTensor] = 0;  // no computation
      break;
  }
  return f;
}

TimingsFile ReadTimingsCsv(const SearchSpace& space, const std::string& path, const std::string& precision) {
  const CsvFile csv = CsvFile::Read(path);
  const int arch = csv.Column("arch");
  int value = csv.Column("latency_ms");
  if (value < 0 && csv.header().size() == 2 && arch == 0) value = 1;
  EDGENAS_THROW_IF_NOT_FMT(arch >= 0 && value >= 0,
                           "{}:{}: expected the columns 'arch' and 'latency_ms' (or the two columns 'arch,<value>'), "
                           "got '{}'",
                           path, csv.header_line(), csv.HeaderLine());
  const int precision_column = csv.Column("precision");
  TimingsFile file;
  for (const CsvFile::Row& row : csv.rows()) {
    if (precision_column >= 0 && row.fields[precision_column] != precision) {
      ++file.other_precision;
      continue;
    }
    if (row.fields[value].empty()) {
      ++file.untimed;
      continue;
    }
    Timing t;
    try {
      t.genome = space.Parse(row.fields[arch]);
    } catch (const Error& e) {
      csv.Fail(row, e.what());
    }
    t.value = csv.Number(row, value);
    if (t.value <= 0) csv.Fail(row, fmt::format("a timing must be positive, got {}", t.value));
    file.timings.push_back(std::move(t));
  }
  EDGENAS_THROW_IF_NOT_FMT(!file.timings.empty(), "{}: no timed {} network (the latency_ms column is empty{})", path,
                           precision, precision_column >= 0 ? " or the precision column names another" : "");
  return file;
}


bool ProfileFit::Options::IsValid(std::string* error) const {
  if (folds == 1 || folds < 0) {
    *error = fmt::format("ProfileFit::Options::folds = {}. Violated constraint: folds == 0 or folds >= 2", folds);
    return false;
  }
  return true;
}

ProfileFit FitProfile(const SearchSpace& space, LutKeyFormat format, const std::vector<Timing>& timings,
                      const ProfileFit::Options& options) {
  std::string error;
  EDGENAS_THROW_IF_NOT_FMT(options.IsValid(&error), "{}", error);
  const bool features = options.model == ProfileFit::Model::kLayerFeatures;
  const Design d = features ? BuildFeatureDesign(space, timings) : BuildDesign(space, format, timings);
  const int n = static_cast<int>(timings.size());
  EDGENAS_THROW_IF_NOT_FMT(n >= static_cast<int>(d.columns.size()),
                           "{} timings cannot determine {} unknowns ({}); time at least {} networks{}", n,
                           d.columns.size(),
                           features ? "one per layer feature, one constant per resolution"
                                    : "one per block key seen, one constant per resolution",
                           d.columns.size(),
                           features ? "" : ", or fit the layer-features model, which has about 20 unknowns");
  ProfileFit fit;
  fit.num_timings = n;
  fit.num_unknowns = static_cast<int>(d.columns.size());
  std::vector<int> all(n);
  std::iota(all.begin(), all.end(), 0);
  const std::vector<double> x = Solve(d, timings, all);
  for (size_t c = 0; c < d.columns.size(); ++c) {
    const auto& [resolution, key] = d.columns[c];
    if (key.empty()) {
      fit.constant_by_resolution[resolution] = x[c];
    } else if (features) {
      fit.feature_costs[key] = x[c];
    } else {
      fit.entries_by_resolution[resolution][key] = x[c];
    }
  }
  if (features) {  // every key of the space, at the timings' resolutions
    std::vector<int> resolutions;
    for (const auto& [r, unused] : fit.constant_by_resolution) resolutions.push_back(r);
    for (int r : resolutions) {
      for (const KeyedLayer& k : DistinctLayers(space, format, {r})) {
        const std::vector<double> f = LayerFeatures(k.layer);
        double cost = 0;
        for (size_t i = 0; i < f.size(); ++i) cost += x[i] * f[i];
        fit.entries_by_resolution[r][k.key] = cost;
      }
    }
  }

  if (options.folds >= 2) {
    EDGENAS_THROW_IF_NOT_FMT(options.folds <= n, "{} folds need at least {} timings, got {}", options.folds,
                             options.folds, n);
    std::vector<int> order = all;
    Rng rng(options.seed);
    rng.Shuffle(&order);
    double total_error = 0;
    int within5 = 0, within10 = 0;
    for (int f = 0; f < options.folds; ++f) {
      std::vector<int> train, test;
      for (int i = 0; i < n; ++i) (i % options.folds == f ? test : train).push_back(order[i]);
      // Keys seen only in the held-out fold get 0 here: part of the honest error.
      const std::vector<double> fold_x = Solve(d, timings, train);
      for (int row : test) {
        const double error = std::abs(Predict(d, fold_x, row) - timings[row].value) / timings[row].value;
        total_error += error;
        within5 += error <= 0.05;
        within10 += error <= 0.10;
      }
    }
    fit.cv_mean_abs_percent_error = 100.0 * total_error / n;
    fit.cv_share_within_5_percent = static_cast<double>(within5) / n;
    fit.cv_share_within_10_percent = static_cast<double>(within10) / n;
  }
  return fit;
}

std::string WriteFittedProfile(const ProfileFit& fit, const SearchSpace& space, LutKeyFormat format,
                               const std::string& device, const std::string& source, const std::string& out_root,
                               bool replace, const std::string& metric) {
  namespace fs = std::filesystem;
  return WriteProfileFolder(out_root, device, replace, [&](const std::string& folder) {
    MetricFiles latency;
    latency.unit = "ms";
    latency.constants = fit.constant_by_resolution;
    std::vector<int> resolutions;  // the timings' resolutions; the profile has tables for those only
    for (const auto& [resolution, constant] : fit.constant_by_resolution) {
      TableEntries entries;
      if (const auto found = fit.entries_by_resolution.find(resolution); found != fit.entries_by_resolution.end()) {
        for (const auto& [key, value] : found->second) entries[key]["mean"] = value;
      }
      // The stem and head are in the constant (a head that reads a chosen width
      // also has fitted entries); their keys must exist for the cost model.
      const Genome deepest = space.DeepestGenome(space.ResolutionIndex(resolution));
      for (int h = 0; h < space.NumHeadChoices(); ++h) {
        Genome genome = deepest;
        space.SetHeadChoice(&genome, h);
        const std::vector<std::string> keys = LutKeys(space.Decode(genome), format);
        const size_t stem = space.spec().stem.size(), head = space.spec().head.size();
        for (size_t i = 0; i < keys.size(); ++i) {
          if ((i < stem || i + head >= keys.size()) && !keys[i].empty() && !entries.count(keys[i])) {
            entries[keys[i]]["mean"] = 0.0;
          }
        }
      }
      const std::string name = fmt::format("tables/{}_lookup_table.yaml", resolution);
      WriteTableFile((fs::path(folder) / name).string(), entries);
      latency.tables[resolution] = name;
      resolutions.push_back(resolution);
    }
    HardwareProfile info;
    info.device = device;
    info.kind = "unknown";
    info.spaces = {space.name()};
    info.key_format = format;
    info.source = source;
    std::string comment;
    if (fit.feature_costs.empty()) {
      comment = "Written by `edgenas profile fit`: per-block entries fitted to whole-network timings.\n"
                "Stem, head and per-network overhead are in `constant`; their table entries are 0.";
    } else {
      std::vector<std::string> costs;
      for (const auto& [name, cost] : fit.feature_costs) costs.push_back(fmt::format("{} {:.4g}", name, cost));
      comment = fmt::format(
          "Written by `edgenas profile fit --model features`: each layer's entry is a non-negative combination\n"
          "of the work it does, fitted to whole-network timings; the per-network overhead is in `constant`.\n"
          "Cost per unit: {}.",
          JoinStrings(costs));
    }
    WriteProfileYaml(folder, info, {{metric, latency}}, comment);
    LutCostModel(space, LoadHardwareProfile(folder), metric, {resolutions});  // proves it costs the space
  });
}

LatencyCalibration FitLatencyCalibration(const std::vector<double>& table_sums, const std::vector<double>& weight_mib,
                                         const std::vector<double>& measured) {
  EDGENAS_THROW_IF_NOT_FMT(table_sums.size() == measured.size() && weight_mib.size() == measured.size() &&
                               measured.size() >= 3,
                           "calibrating needs at least 3 timed networks, got {}", measured.size());
  // Unknowns x = (scale - 1, scale_per_weight_mib, constant) >= 0:
  //   measured - sum = x0 * sum + x1 * W * sum + x2.
  const int rows = static_cast<int>(measured.size());
  std::vector<double> a(3 * rows), b(rows);
  for (int i = 0; i < rows; ++i) {
    EDGENAS_THROW_IF_NOT_FMT(table_sums[i] > 0 && measured[i] > 0,
                             "calibration network {}: the table sum ({}) and the measured time ({}) must be positive",
                             i + 1, table_sums[i], measured[i]);
    // Row i divided by measured[i]: the residuals are relative errors.
    a[3 * i] = table_sums[i] / measured[i];
    a[3 * i + 1] = weight_mib[i] * table_sums[i] / measured[i];
    a[3 * i + 2] = 1.0 / measured[i];
    b[i] = (measured[i] - table_sums[i]) / measured[i];
  }
  const std::vector<double> x = NonNegativeLeastSquares(a, b, rows, 3);
  return {1.0 + x[0], x[1], x[2]};
}

}  // namespace edgenas
