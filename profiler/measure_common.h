// What measuring a profile does the same way in every runtime (LibTorch in
// profile_measure.cc, ONNX Runtime in onnx_runtime_profile.cc): the layers to
// time, the measured table files, the random networks, the summary of a
// validation. LibTorch-free.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/rng.h"
#include "cost/lut_keys.h"
#include "profiler/profile_measure.h"
#include "space/search_space.h"

namespace edgenas {

struct MeasuredEntry {
  double median_ms = 0, mad_ms = 0;
  int runs = 0;
  // ONNX Runtime: the layer's median timed alone, before the boundary
  // correction made median_ms (-1: none). Read back, median_ms is this again.
  double alone_ms = -1;
};
using MeasuredTable = std::map<std::string, MeasuredEntry>;  // sorted: stable files

// The entries of a measured table file; empty if there is no file. Throws
// Error naming the file and key of an entry without median, mad and count.
MeasuredTable ReadMeasuredTable(const std::string& path);
void WriteMeasuredTable(const std::string& path, const MeasuredTable& table);

// "AMD EPYC ..." from /proc/cpuinfo, or "unknown CPU".
std::string CpuModel();

// A uniformly random genome whose resolution is one of `resolutions`.
Genome SampleAt(const SearchSpace& space, const std::vector<int>& resolutions, Rng& rng);

// The space's resolutions among `wanted` (empty: all; a space with one
// resolution: that one). Throws Error if none is left.
std::vector<int> ResolutionsToMeasure(const SearchSpace& space, const std::vector<int>& wanted);

// The distinct layers of every space, in the native key format, per resolution.
using LayersByResolution = std::map<int, std::vector<KeyedLayer>>;
LayersByResolution LayersToMeasure(const std::vector<SearchSpace>& spaces, const std::vector<int>& wanted);

// Checks that `o` may write its profile folder (refusing a finished or
// interrupted one unless resume or replace), and with replace moves an old
// profile aside into a fresh hidden folder, which it returns ("" if none):
// the caller removes it once the new profile is written.
std::string PrepareProfileFolder(const MeasureOptions& o);

// Fills the report's error figures from its networks.
void Summarize(ValidationReport* report);

// `profile validate --data`: the profile's LatencyMetric(precision) against
// timings made elsewhere (a device, or held out from `profile fit`), read as
// ReadTimingsCsv reads them. Times nothing.
ValidationReport ValidateAgainstTimings(const std::string& profile_folder, const std::string& space,
                                        Precision precision, const std::string& timings_csv, bool interpolate_missing);

}  // namespace edgenas
