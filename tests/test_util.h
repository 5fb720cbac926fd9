// Helpers shared by the test suites.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <filesystem>

#include "common/error.h"
#include "common/text.h"

namespace edgenas::testing {

// A path under the temporary folder that no other test process uses: suites
// run in parallel (ctest -j) and several builds may test at once.
inline std::string UniqueTempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("edgenas_" + name + "_" + std::to_string(::getpid()))).string();
}

// The message of the edgenas::Error that `f` throws, or "(no error)".
template <typename F>
std::string ErrorOf(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// Files of an error corpus start with "# expect: <exact message>", where {file}
// stands for the file's path and {dir} for its folder. Returns that message, or
// "" if the first line is not of that form.
inline std::string ExpectedErrorOf(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  const std::string prefix = "# expect: ";
  if (line.rfind(prefix, 0) != 0) return "";
  std::string expected = line.substr(prefix.size());
  const std::string dir = std::filesystem::path(path).parent_path().string();
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"{file}", path}, {"{dir}", dir}}) {
    for (size_t at = expected.find(from); at != std::string::npos; at = expected.find(from, at + to.size())) {
      expected.replace(at, from.size(), to);
    }
  }
  return expected;
}

// The files of a folder, sorted.
inline std::vector<std::string> FilesIn(const std::string& folder) {
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) paths.push_back(entry.path().string());
  std::sort(paths.begin(), paths.end());
  return paths;
}

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

// "python3-torch is not installed ..." unless Debian's python3 imports torch; else "".
inline std::string PythonTorchMissing() {
  if (std::system("/usr/bin/python3 -c 'import torch' 2>/dev/null") == 0) return "";
  return "python3-torch is not installed (setup.sh installs it)";
}

}  // namespace edgenas::testing

// For a test that needs something setup.sh installs. `missing` says what is
// missing, or is empty. In CI (CI is set), where it must be there, the test
// fails; elsewhere it is skipped.
#define EDGENAS_REQUIRE_INSTALLED(missing)                              \
  do {                                                                  \
    const std::string edgenas_missing_ = (missing);                     \
    if (!edgenas_missing_.empty()) {                                    \
      if (std::getenv("CI") != nullptr) FAIL() << edgenas_missing_;     \
      GTEST_SKIP() << edgenas_missing_;                                 \
    }                                                                   \
  } while (0)
