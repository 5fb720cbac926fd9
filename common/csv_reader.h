// The one reader of the CSV files edgenas exchanges (accuracy datasets,
// whole-network timings): a header line, then rows with as many fields as the
// header. Fields are split on commas. Quotes are reported, not misread: arch
// strings and numbers never need them. Blank lines are skipped; a trailing
// '\r' is dropped. Every error is one line "path:line: what was expected".
#pragma once

#include <string>
#include <vector>

namespace edgenas {

class CsvFile {
 public:
  struct Row {
    int line = 0;  // 1-based line in the file
    std::vector<std::string> fields;
  };

  // Reads and splits `path`. Throws Error on a missing file, an empty file, a
  // quoted field or a row whose field count differs from the header's.
  static CsvFile Read(const std::string& path);
  // The same from text; `path` names it in errors.
  static CsvFile Parse(const std::string& text, const std::string& path);

  const std::string& path() const { return path_; }
  const std::vector<std::string>& header() const { return header_; }
  int header_line() const { return header_line_; }
  const std::vector<Row>& rows() const { return rows_; }
  // The header line as written, for messages.
  std::string HeaderLine() const;

  // Position of column `name` in the header, or -1.
  int Column(const std::string& name) const;

  // The field as a number: the whole field must parse and be finite. Throws
  // "path:line: <column> '<text>' is not a number".
  double Number(const Row& row, int column) const;

  // Throws Error("path:line: message") for a fault in `row`.
  [[noreturn]] void Fail(const Row& row, const std::string& message) const;

 private:
  std::string path_;
  std::vector<std::string> header_;
  int header_line_ = 0;
  std::vector<Row> rows_;
};

// Strict number parsing for any text field: the whole of `text` must be a
// finite decimal or scientific number. False otherwise (and `value` is unset).
bool ParseFiniteNumber(const std::string& text, double* value);

}  // namespace edgenas
