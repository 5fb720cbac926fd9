// Measured accuracy datasets: `edgenas dataset` trains many networks of a
// space with one fixed schedule and appends a row per network to a CSV that
// `predictor train` reads (arch, accuracy = validation top-1, then test
// top-1, params, MACs, train seconds, seed, schedule, threads).
//
// The sample is a function of (space, count, sampling, seed) alone, so every
// shard and every resumed run sees the same list. A run never loses or
// duplicates a row: each row is appended and fsynced on its own; a run killed
// at any point resumes where it stopped (the network under way continues from
// its last epoch), and a half-written last line is cut off first.
//
// LibTorch-free header; the implementation is the LibTorch side.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "datasets/image_dataset.h"
#include "space/search_space.h"
#include "train/classifier_training.h"

namespace edgenas {

enum class Sampling { kUniform, kStratifiedMacs };
const char* SamplingToString(Sampling sampling);
bool StringToSampling(const std::string& name, Sampling* sampling);

// The named schedules datasets are made with: "one_pass" (the default: one
// epoch over the whole training split), "short" and "long" (one and five
// epochs over 20,000 images).
std::vector<std::string> DatasetScheduleNames();
// False if `name` names none.
bool DatasetSchedule(const std::string& name, TrainingSchedule* schedule);

// `count` distinct networks (canonical genomes) of `space`: uniformly at
// random, or one from each of `count` equal bins of a large random sample
// sorted by MACs (every size of network, evenly). Throws Error if the space
// has fewer distinct networks than that.
std::vector<Genome> SampleDistinctNetworks(const SearchSpace& space, int count, Sampling sampling, uint64_t seed);

struct Shard {
  int index = 0;  // 0..count-1
  int count = 1;
  // "3/8" -> {2, 8}: shards are numbered from 1 on the command line. False if malformed.
  static bool Parse(const std::string& text, Shard* shard);
  bool Takes(size_t i) const { return static_cast<int>(i % static_cast<size_t>(count)) == index; }
};

struct DatasetOptions {
  int count = 300;
  Sampling sampling = Sampling::kUniform;
  uint64_t sample_seed = 0;      // picks the networks
  std::string schedule_name = "one_pass";
  TrainingSchedule schedule;     // DatasetSchedule(schedule_name)
  uint64_t training_seed = 0;    // every network is trained with this seed
  int threads = 1;
  Shard shard;
  std::string out_csv;           // appended to; created with its header
  std::string work_folder;       // one training folder per network under way; default <out_csv>.work
  std::function<bool()> stop_requested;  // asked between epochs and networks; may be empty
};

struct DatasetProgress {
  int done = 0;   // rows in the file for this shard, this one included
  int total = 0;  // networks in this shard
  std::string arch;
  double validation_top1 = 0;
  double seconds = 0;
};

struct DatasetSummary {
  int written = 0;  // rows appended by this run
  int total = 0;    // networks in this shard
  int done = 0;     // of them, in the file now
  bool interrupted = false;
};

// What a run has to do: the shard's networks not yet in options.out_csv.
// Creates the file with its header, or cuts a half-written last line off it.
// Throws Error if the file holds rows of another schedule or space.
struct DatasetPlan {
  std::vector<Genome> todo;
  int total = 0;  // networks in the shard
  int done = 0;   // of them, already in the file
};
DatasetPlan PlanDataset(const SearchSpace& space, const DatasetOptions& options);

// Trains `todo` and appends a row for each. Several processes may run this at
// once on parts of one plan: rows are appended whole (O_APPEND, one write).
DatasetSummary TrainDatasetRows(const SearchSpace& space, const ImageDataset& train, const ImageDataset& test,
                                const DatasetOptions& options, const std::vector<Genome>& todo,
                                const std::function<void(const DatasetProgress&)>& progress = {});

// PlanDataset, then TrainDatasetRows in this process.
DatasetSummary GenerateDataset(const SearchSpace& space, const ImageDataset& train, const ImageDataset& test,
                               const DatasetOptions& options,
                               const std::function<void(const DatasetProgress&)>& progress = {});

// Joins shard files into `out_csv` (atomically). Throws Error if their headers
// or schedules differ, or a network appears twice.
void MergeDatasets(const SearchSpace& space, const std::vector<std::string>& inputs, const std::string& out_csv);

}  // namespace edgenas
