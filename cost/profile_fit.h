// Fitting a lookup table from whole-network timings, for devices that can only
// time complete networks.
//
//   per key:  timings (arch, ms) --> block-usage counts per LUT key --> non-
//             negative least squares, plus one constant per resolution for the
//             stem, head and per-network overhead --> per-key entries. Needs at
//             least as many timings as keys seen (thousands in a large space).
//   features: each layer's cost is a non-negative combination of the work it
//             does (LayerFeatures: MACs by kind of convolution, elements through
//             h-swish, tensor elements, ...), plus the constant per resolution:
//             about 20 unknowns, so a few hundred timings fit a whole space,
//             and every key of the space gets an entry.
//   k-fold cross-validation reports how well the fitted sum predicts networks
//   it has not seen.
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "cost/hardware_profile.h"
#include "space/search_space.h"

namespace edgenas {

struct Timing {
  Genome genome;
  double value = 0;  // measured cost, e.g. latency in ms
};

// Whole-network timings read from a CSV (ReadTimingsCsv).
struct TimingsFile {
  std::vector<Timing> timings;
  int untimed = 0;          // rows whose latency_ms is empty
  int other_precision = 0;  // rows of the other precision (a 'precision' column)
};

// Either 'arch,<value column>' (two columns), or any columns including
// 'arch' and 'latency_ms', as `profile sample`'s manifest.csv and `profile
// validate --csv` write them; with a 'precision' column, only the rows of
// `precision` ("fp32", "int8"). Rows with an empty latency_ms are not timed
// yet and are skipped. Throws Error with file:line for a bad row, and if no
// row is left.
TimingsFile ReadTimingsCsv(const SearchSpace& space, const std::string& path, const std::string& precision);

struct ProfileFit {
  enum class Model { kPerKey, kLayerFeatures };
  struct Options {
    int folds = 5;          // k of the k-fold cross-validation, 2 or more (0: no validation)
    uint64_t seed = 0;      // shuffles the folds
    Model model = Model::kPerKey;

    // Names the first field that breaks a rule, with its value.
    bool IsValid(std::string* error) const;
  };

  // kLayerFeatures: the cost of one unit of each feature (LayerFeatureNames).
  std::map<std::string, double> feature_costs;
  // Fitted entries: key -> cost, and the per-resolution constants.
  std::map<int, std::unordered_map<std::string, double>> entries_by_resolution;
  std::map<int, double> constant_by_resolution;
  int num_timings = 0;
  int num_unknowns = 0;  // keys + constants

  // Cross-validation over held-out networks.
  double cv_mean_abs_percent_error = 0;
  double cv_share_within_5_percent = 0;   // 0..1
  double cv_share_within_10_percent = 0;  // 0..1
};

// The work a layer does, as the layer-features fit weighs it; parallel to
// LayerFeatureNames(). Amounts at batch 1: MACs, elements, counts.
std::vector<std::string> LayerFeatureNames();
std::vector<double> LayerFeatures(const LayerSpec& layer);

// Throws Error if there are fewer timings than unknowns, or a timing's genome
// does not fit the space.
ProfileFit FitProfile(const SearchSpace& space, LutKeyFormat format, const std::vector<Timing>& timings,
                      const ProfileFit::Options& options);

// Writes `fit` as hw_profiles/<device>/ under `out_root` (atomically; an existing
// profile only if `replace`): one table per resolution in Once-for-All's layout
// plus the per-resolution constant. The stem and head are part of the constant,
// so their keys are written with cost 0. Returns the profile's folder.
// `metric` names the profile's metric ("latency", or "latency_int8" for
// timings of int8 models).
std::string WriteFittedProfile(const ProfileFit& fit, const SearchSpace& space, LutKeyFormat format,
                               const std::string& device, const std::string& source, const std::string& out_root,
                               bool replace, const std::string& metric = "latency");

// Calibrating a measured profile against whole networks timed on the same
// machine:
//   measured ≈ (scale + scale_per_weight_mib * W) * (sum of the table entries) + constant
// with W the network's float32 weights in MiB. Layers timed alone in a loop keep
// their weights in cache; inside a network they run slower, and the more so
// the more weights the network streams through the cache (docs/latency.md).
// Fitted by non-negative least squares on relative errors, so small and large
// networks weigh alike, with scale >= 1 (a layer inside a network is not
// faster than alone in a warm loop) and the other two >= 0, so no network is
// predicted below its layers' sum.
struct LatencyCalibration {
  double scale = 1.0;
  double scale_per_weight_mib = 0.0;
  double constant = 0.0;
};
// Throws Error unless there are at least 3 networks, with positive sums and times.
LatencyCalibration FitLatencyCalibration(const std::vector<double>& table_sums, const std::vector<double>& weight_mib,
                                         const std::vector<double>& measured);

// Solves min ||A x - b|| subject to x >= 0 (Lawson and Hanson, "Solving Least
// Squares Problems", 1974, ch. 23). A is rows x cols, row-major: a[i * cols + j].
std::vector<double> NonNegativeLeastSquares(const std::vector<double>& a, const std::vector<double>& b, int rows,
                                            int cols);

}  // namespace edgenas
