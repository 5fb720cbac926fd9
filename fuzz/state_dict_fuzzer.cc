// PyTorch state_dict files (zip + pickle): the first bytes choose the data.pkl
// written into a zip, so the fuzzer reaches the unpickler behind the archive.
#include <unistd.h>
#include <zip.h>

#include <cstdint>
#include <string>

#include "accuracy/accuracy_predictor.h"
#include "accuracy/torch_state_dict.h"
#include "common/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/edgenas_fuzz_state_dict_" + std::to_string(getpid()) + ".pt";
  int error = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (archive == nullptr) return 0;
  zip_source_t* source = zip_source_buffer(archive, data, size, 0);
  if (source == nullptr || zip_file_add(archive, "archive/data.pkl", source, ZIP_FL_OVERWRITE) < 0) {
    zip_source_free(source);
    zip_discard(archive);
    return 0;
  }
  if (zip_close(archive) != 0) {
    zip_discard(archive);
    return 0;
  }
  try {
    const auto tensors = edgenas::ReadTorchStateDict(path);
    edgenas::Mlp::FromStateDict(tensors, path);
  } catch (const edgenas::Error&) {
  }
  return 0;
}
