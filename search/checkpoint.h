// checkpoint.json in a results folder: everything an interrupted search needs
// to continue exactly where it stopped, owned here whole (written, read,
// checked and removed by this class alone).
//
//   {"format": 2, "recipe": "/abs/path.yaml", "recipe_fingerprint": "...",
//    "generation": 150, "rng": "...", "evaluations": 15100, "seconds": 0.21,
//    "best": "<genes in hex>", "objective_low": [...], "objective_high": [...],
//    "population": ["<genes in hex>", ...],
//    "history": [{"generation": 1, "evaluations": 200, "best": 80.1, "mean": 78.3,
//                 "hypervolume": 0, "front_size": 0}, ...]}
//
// The recipe's fingerprint (of its bytes, taken once when the recipe was read)
// ties a checkpoint to the recipe it was made with: resuming after the recipe
// changed is refused.
#pragma once

#include <string>

#include "search/search_state.h"

namespace edgenas {

class Checkpointer {
 public:
  // `folder` is the job's results folder; `recipe_path` and
  // `recipe_fingerprint` identify the recipe the job runs.
  Checkpointer(std::string folder, std::string recipe_path, std::string recipe_fingerprint);

  // <folder>/checkpoint.json
  std::string path() const;
  bool Exists() const;
  // Saves `state` atomically.
  void Write(const SearchState& state) const;
  // The saved state, its genomes checked against `space`; candidates are not
  // yet scored. Throws Error (naming the file) if there is no checkpoint, it
  // is damaged, or it was made with another recipe (or another version of it).
  SearchState Read(const SearchSpace& space) const;
  // Deletes the checkpoint, once the job's results are written.
  void Remove() const;

  // The recipe path recorded in <folder>/checkpoint.json, to resume a job from
  // its folder alone. Throws Error saying why there is nothing to resume.
  static std::string RecipeOf(const std::string& folder);

 private:
  std::string folder_;
  std::string recipe_path_;
  std::string recipe_fingerprint_;
};

}  // namespace edgenas
