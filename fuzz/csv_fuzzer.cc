// The CSV reader: any bytes give rows of the header's width or one Error.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/csv_reader.h"
#include "common/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const edgenas::CsvFile csv = edgenas::CsvFile::Parse(text, "fuzz.csv");
    for (const edgenas::CsvFile::Row& row : csv.rows()) {
      if (row.fields.size() != csv.header().size()) std::abort();
      for (size_t c = 0; c < row.fields.size(); ++c) {
        try {
          csv.Number(row, static_cast<int>(c));
        } catch (const edgenas::Error&) {
        }
      }
    }
  } catch (const edgenas::Error&) {
  }
  return 0;
}
