// Checkpoints: the fuzzed bytes are a results folder's checkpoint.json, for a
// single-objective and an NSGA-II recipe (fuzz/checkpoint_recipes/). A state
// is refused with one Error, or fits the search and resumes to the end.
//
// The seeds in fuzz/corpus/checkpoint/ are states saved after each generation
// of both recipes; write them again (after a recipe or the format changes) with
//   EDGENAS_FUZZ_WRITE_SEEDS=fuzz/corpus/checkpoint ./build-fuzz/fuzz/fuzz_checkpoint
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "job/job.h"
#include "search/checkpoint.h"
#include "search/evaluator.h"
#include "search/search_engine.h"

namespace fs = std::filesystem;
using edgenas::Checkpointer;
using edgenas::Evaluator;
using edgenas::Job;
using edgenas::SearchEngine;
using edgenas::SearchState;

namespace {

const std::vector<std::unique_ptr<Job>>& Jobs() {
  static const std::vector<std::unique_ptr<Job>> jobs = [] {
    setenv("EDGENAS_HOME", EDGENAS_SOURCE_ROOT, 0);
    std::vector<std::unique_ptr<Job>> all;
    for (const char* name : {"single_objective.yaml", "nsga2.yaml"}) {
      all.push_back(std::make_unique<Job>(
          edgenas::LoadRecipe(std::string(EDGENAS_SOURCE_ROOT) + "/fuzz/checkpoint_recipes/" + name)));
    }
    return all;
  }();
  return jobs;
}

void WriteSeeds(const std::string& out) {
  int n = 0;
  for (const auto& job : Jobs()) {
    const std::string folder = out + "/.tmp";
    fs::create_directories(folder);
    const Checkpointer checkpointer(folder, job->recipe().path, job->recipe().fingerprint);
    Evaluator evaluator(job->space(), job->EvaluatorOptions());
    SearchEngine::Options options = job->SearchOptions();
    options.checkpoint_every = 1;
    options.checkpoint = [&](const SearchState& state) {
      checkpointer.Write(state);
      fs::rename(checkpointer.path(), out + "/seed" + std::to_string(n++) + ".json");
    };
    SearchEngine(job->space(), evaluator, options).Run();
    fs::remove_all(folder);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* out = std::getenv("EDGENAS_FUZZ_WRITE_SEEDS")) {
    WriteSeeds(out);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string folder = [] {
    const std::string f = "/tmp/edgenas_fuzz_checkpoint_" + std::to_string(getpid());
    fs::create_directories(f);
    return f;
  }();
  std::ofstream(folder + "/checkpoint.json", std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), size);
  for (const auto& job : Jobs()) {
    try {
      const Checkpointer checkpointer(folder, job->recipe().path, job->recipe().fingerprint);
      const SearchState state = checkpointer.Read(job->space());
      Evaluator evaluator(job->space(), job->EvaluatorOptions());
      SearchEngine engine(job->space(), evaluator, job->SearchOptions());
      std::string error;
      if (engine.CheckState(state, &error)) engine.Resume(state);
    } catch (const edgenas::Error&) {
    }
  }
  return 0;
}
