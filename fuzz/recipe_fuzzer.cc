// Recipes: any file is a Job or one Error; the YAML, recipe and job layers
// together (spaces, profiles and predictors named are the shipped ones).
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "common/error.h"
#include "job/job.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = [] {
    setenv("EDGENAS_HOME", EDGENAS_SOURCE_ROOT, 0);
    return "/tmp/edgenas_fuzz_recipe_" + std::to_string(getpid()) + ".yaml";
  }();
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data), size);
  try {
    const edgenas::Job job(edgenas::LoadRecipe(path));
    job.EvaluatorOptions();
  } catch (const edgenas::Error&) {
  }
  return 0;
}
