#include "common/csv_reader.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "common/error.h"
#include "common/file_util.h"
#include "common/text.h"

namespace edgenas {

bool ParseFiniteNumber(const std::string& text, double* value) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text.front()))) return false;
  char* end = nullptr;
  errno = 0;
  const double parsed = std::strtod(text.c_str(), &end);
  // ERANGE on underflow still gives the nearest denormal or 0: a valid value.
  if (end != text.c_str() + text.size() || !std::isfinite(parsed)) return false;
  *value = parsed;
  return true;
}

CsvFile CsvFile::Read(const std::string& path) { return Parse(ReadFile(path), path); }

CsvFile CsvFile::Parse(const std::string& text, const std::string& path) {
  CsvFile csv;
  csv.path_ = path;
  std::istringstream in(text);
  std::string line;
  int line_number = 0;
  bool have_header = false;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    EDGENAS_THROW_IF_NOT_FMT(line.find('"') == std::string::npos,
                             "{}:{}: quoted CSV fields are not supported (arch strings need no quotes)", path,
                             line_number);
    std::vector<std::string> fields = SplitString(line, ',');
    if (!have_header) {
      csv.header_ = std::move(fields);
      csv.header_line_ = line_number;
      have_header = true;
      continue;
    }
    EDGENAS_THROW_IF_NOT_FMT(fields.size() == csv.header_.size(), "{}:{}: {} fields, the header has {}", path,
                             line_number, fields.size(), csv.header_.size());
    csv.rows_.push_back(Row{line_number, std::move(fields)});
  }
  EDGENAS_THROW_IF_NOT_FMT(have_header, "{}: empty file (a header line was expected)", path);
  return csv;
}

std::string CsvFile::HeaderLine() const { return JoinStrings(header_, ","); }

int CsvFile::Column(const std::string& name) const {
  for (size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

double CsvFile::Number(const Row& row, int column) const {
  double value = 0;
  if (!ParseFiniteNumber(row.fields.at(column), &value)) {
    Fail(row, fmt::format("{} '{}' is not a number", header_.at(column), row.fields[column]));
  }
  return value;
}

void CsvFile::Fail(const Row& row, const std::string& message) const {
  EDGENAS_THROW_FMT("{}:{}: {}", path_, row.line, message);
}

}  // namespace edgenas
