#include "accuracy/accuracy_dataset.h"

#include <map>

#include <nlohmann/json.hpp>

#include <cmath>
#include <numeric>
#include <unordered_map>

#include "common/csv_reader.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/rng.h"
#include "common/text.h"

namespace edgenas {

AccuracyDataset AccuracyDataset::Subset(const std::vector<size_t>& indices) const {
  AccuracyDataset subset;
  subset.path = path;
  subset.fingerprint = fingerprint;
  for (size_t i : indices) {
    subset.genomes.push_back(genomes.at(i));
    subset.accuracy.push_back(accuracy.at(i));
    subset.rows.push_back(rows.at(i));
  }
  return subset;
}

PairedAccuracies PairAccuracies(const AccuracyDataset& a, const AccuracyDataset& b) {
  std::map<std::vector<uint8_t>, double> in_b;
  for (size_t i = 0; i < b.size(); ++i) in_b[b.genomes[i].genes] = b.accuracy[i];
  PairedAccuracies paired;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto found = in_b.find(a.genomes[i].genes);
    if (found == in_b.end()) continue;
    paired.genomes.push_back(a.genomes[i]);
    paired.a.push_back(a.accuracy[i]);
    paired.b.push_back(found->second);
  }
  return paired;
}

AccuracyDataset LoadAccuracyDataset(const std::string& path, const SearchSpace& space) {
  const std::string text = ReadFile(path);
  AccuracyDataset data;
  data.path = path;
  data.fingerprint = Fingerprint(text);

  const CsvFile csv = CsvFile::Parse(text, path);
  const int arch_column = csv.Column("arch"), accuracy_column = csv.Column("accuracy");
  EDGENAS_THROW_IF_NOT_FMT(arch_column >= 0 && accuracy_column >= 0,
                           "{}:{}: the header needs columns 'arch' and 'accuracy' (got '{}')", path, csv.header_line(),
                           csv.HeaderLine());
  std::unordered_map<Genome, size_t, GenomeHash> index_of;
  for (const CsvFile::Row& row : csv.rows()) {
    Genome genome;
    try {
      genome = space.Canonical(space.Parse(row.fields[arch_column]));
    } catch (const Error& e) {
      csv.Fail(row, e.what());
    }
    const std::string& accuracy_text = row.fields[accuracy_column];
    double accuracy = 0;
    if (!ParseFiniteNumber(accuracy_text, &accuracy) || accuracy < 0 || accuracy > 100) {
      csv.Fail(row, fmt::format("accuracy '{}' is not a percentage in [0, 100]", accuracy_text));
    }
    const auto [it, inserted] = index_of.emplace(genome, data.genomes.size());
    if (inserted) {
      data.genomes.push_back(genome);
      data.accuracy.push_back(accuracy);
      data.rows.push_back(1);
    } else {
      const size_t i = it->second;
      data.accuracy[i] = (data.accuracy[i] * data.rows[i] + accuracy) / (data.rows[i] + 1);
      ++data.rows[i];
    }
  }
  EDGENAS_THROW_IF_NOT_FMT(!data.genomes.empty(), "{}: no data rows", path);
  return data;
}

void WriteAccuracyDataset(const std::string& path, const SearchSpace& space, const AccuracyDataset& data,
                          const std::string& extra_header, const std::vector<std::string>& extra_columns) {
  EDGENAS_ASSERT(extra_columns.empty() || extra_columns.size() == data.size());
  std::string out = "arch,accuracy";
  if (!extra_header.empty()) out += "," + extra_header;
  out += "\n";
  for (size_t i = 0; i < data.size(); ++i) {
    out += fmt::format("{},{:.6f}", space.ToString(data.genomes[i]), data.accuracy[i]);
    if (!extra_columns.empty()) out += "," + extra_columns[i];
    out += "\n";
  }
  WriteFileAtomically(path, out);
}

void SplitIndices(size_t n, size_t first_size, uint64_t seed, std::vector<size_t>* first, std::vector<size_t>* rest) {
  EDGENAS_THROW_IF_NOT_FMT(first_size <= n, "cannot take {} entries from a dataset of {}", first_size, n);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  Rng rng(seed);
  rng.Shuffle(&order);
  first->assign(order.begin(), order.begin() + first_size);
  rest->assign(order.begin() + first_size, order.end());
}

void ImportNasBenchMacro(const std::string& json_path, const SearchSpace& space, const std::string& out_csv) {
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(ReadFile(json_path));
  } catch (const nlohmann::json::exception& e) {
    EDGENAS_THROW_FMT("{}: not valid JSON: {}", json_path, JsonErrorReason(e.what()));
  }
  EDGENAS_THROW_IF_NOT_FMT(root.is_object(), "{}: expected NAS-Bench-Macro's object of arch -> results", json_path);
  AccuracyDataset data;
  std::vector<std::string> extra;
  // nlohmann::json keeps object keys sorted, so the networks come in arch order.
  for (const auto& [arch, entry] : root.items()) {
    Genome genome;
    try {
      genome = space.Parse(arch);
    } catch (const Error& e) {
      EDGENAS_THROW_FMT("{}: key '{}': {}", json_path, arch, e.what());
    }
    if (space.Canonical(genome) != genome) continue;  // trained too, but the same network as a canonical entry
    EDGENAS_THROW_IF_NOT_FMT(entry.contains("mean_acc") && entry.contains("std") && entry.contains("params") &&
                                 entry.contains("flops"),
                             "{}: entry '{}' lacks mean_acc, std, params or flops", json_path, arch);
    data.genomes.push_back(genome);
    data.accuracy.push_back(entry["mean_acc"].get<double>());
    data.rows.push_back(1);
    extra.push_back(fmt::format("{:.6f},{},{}", entry["std"].get<double>(), entry["params"].get<long long>(),
                                entry["flops"].get<long long>()));
  }
  const double expected = space.NumDistinctNetworks();
  EDGENAS_THROW_IF_NOT_FMT(data.size() == expected, "{}: {} canonical networks found, space '{}' has {}", json_path,
                           data.size(), space.name(), expected);
  WriteAccuracyDataset(out_csv, space, data, "std,params,flops", extra);
}

}  // namespace edgenas
