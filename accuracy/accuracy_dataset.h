// Measured accuracies of architectures: the training and test data of
// accuracy predictors.
//
// On disk a dataset is a CSV file with a header; the columns `arch` (the space's
// arch string) and `accuracy` (top-1, percent) are required, others (seed,
// epochs, params, ...) are allowed and ignored. Rows are read as distinct
// networks: arch strings that denote the same network (the same canonical
// genome) are merged into one entry with their mean accuracy, so equivalent
// networks can never fall on both sides of a train/test split.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "space/search_space.h"

namespace edgenas {

struct AccuracyDataset {
  std::string path;
  std::string fingerprint;       // of the file's bytes (common/text.h)
  std::vector<Genome> genomes;   // canonical and distinct, in order of first appearance
  std::vector<double> accuracy;  // percent, mean over the rows of each network
  std::vector<int> rows;         // how many rows were merged into each entry

  size_t size() const { return genomes.size(); }
  // The entries at `indices`, in that order.
  AccuracyDataset Subset(const std::vector<size_t>& indices) const;
};

// Throws Error "path:line: what was expected" for a malformed file, an arch
// string the space rejects, or an accuracy outside [0, 100].
AccuracyDataset LoadAccuracyDataset(const std::string& path, const SearchSpace& space);

// Writes `arch,accuracy` rows (atomically). `extra_header` and `extra_columns`
// (one string per entry, already comma-separated) add columns.
void WriteAccuracyDataset(const std::string& path, const SearchSpace& space, const AccuracyDataset& data,
                          const std::string& extra_header = "", const std::vector<std::string>& extra_columns = {});

// The networks in both datasets, in `a`'s order, with each one's accuracy in
// either: how two training schedules, or two seeds, rank the same networks.
struct PairedAccuracies {
  std::vector<Genome> genomes;
  std::vector<double> a, b;
};
PairedAccuracies PairAccuracies(const AccuracyDataset& a, const AccuracyDataset& b);

// A seeded random split of entries 0..n-1: the first `first_size` indices of a
// uniform random permutation, and the rest.
void SplitIndices(size_t n, size_t first_size, uint64_t seed, std::vector<size_t>* first, std::vector<size_t>* rest);

// NAS-Bench-Macro's published results (nas-bench-macro_cifar10.json, keyed by
// its 8-digit arch strings) -> one entry per canonical network, with the mean
// test accuracy over its three runs, plus `std,params,flops` columns. Throws
// Error if the file is not that benchmark or misses a canonical network.
void ImportNasBenchMacro(const std::string& json_path, const SearchSpace& space, const std::string& out_csv);

}  // namespace edgenas
