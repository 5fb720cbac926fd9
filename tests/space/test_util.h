// Helpers shared by the space tests.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/text.h"

namespace edgenas::testing {

// Rows of a CSV file with a header line, as vectors of fields (no quoting needed here).
inline std::vector<std::vector<std::string>> ReadCsvRows(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (!line.empty()) rows.push_back(SplitString(line, ','));
  }
  return rows;
}

// The OFA tutorial's way of writing an arch: per-block lists over all 20 slots.
inline std::string OfaJson(const std::vector<int>& ks, const std::vector<int>& e, const std::vector<int>& d, int r) {
  auto list = [](const std::vector<int>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
    return s + "]";
  };
  return "{\"ks\":" + list(ks) + ",\"e\":" + list(e) + ",\"d\":" + list(d) + ",\"r\":[" + std::to_string(r) + "]}";
}

inline std::vector<int> Repeat(const std::vector<int>& pattern, int times) {
  std::vector<int> out;
  for (int i = 0; i < times; ++i) out.insert(out.end(), pattern.begin(), pattern.end());
  return out;
}

}  // namespace edgenas::testing
