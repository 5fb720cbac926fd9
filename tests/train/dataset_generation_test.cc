#include "train/dataset_generation.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "common/csv_reader.h"
#include "common/file_util.h"
#include "common/rng.h"
#include "common/text.h"
#include "space/network_stats.h"
#include "space/space_loader.h"
#include "test_util.h"
#include "train/bars_dataset.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;

const std::string kTinySpace = std::string(EDGENAS_TEST_DATA) + "/train/tiny_16px.yaml";

using testing::Bars;

TEST(DatasetGeneration, SamplesAreDistinctSeededAndSpanTheMacs) {
  const SearchSpace space = LoadSpace("nas_bench_macro");
  const std::vector<Genome> a = SampleDistinctNetworks(space, 50, Sampling::kUniform, 3);
  EXPECT_EQ(a, SampleDistinctNetworks(space, 50, Sampling::kUniform, 3));
  std::set<std::vector<uint8_t>> distinct;
  for (const Genome& g : a) {
    EXPECT_EQ(space.Canonical(g), g);
    distinct.insert(g.genes);
  }
  EXPECT_EQ(distinct.size(), 50u);
  // Stratified: one network from each tenth of a big sample sorted by MACs:
  // the picks climb through the MACs of random networks, from their lowest
  // tenth to their highest.
  const std::vector<Genome> s = SampleDistinctNetworks(space, 10, Sampling::kStratifiedMacs, 3);
  std::vector<int64_t> macs, reference;
  for (const Genome& g : s) macs.push_back(ComputeStats(space.Decode(g)).macs);
  for (const Genome& g : SampleDistinctNetworks(space, 2000, Sampling::kUniform, 99)) {
    reference.push_back(ComputeStats(space.Decode(g)).macs);
  }
  std::sort(reference.begin(), reference.end());
  EXPECT_TRUE(std::is_sorted(macs.begin(), macs.end()));
  EXPECT_LE(macs.front(), reference[200]);   // within the lowest tenth
  EXPECT_GE(macs.back(), reference[1800]);   // within the highest tenth
  EXPECT_EQ(testing::ErrorOf([] { SampleDistinctNetworks(LoadSpace(kTinySpace), 82, Sampling::kUniform, 0); }),
            "space 'tiny_16px' has 81 distinct networks; 82 were asked for");
}

TEST(DatasetGeneration, ShardsSplitTheSample) {
  Shard s;
  ASSERT_TRUE(Shard::Parse("2/3", &s));
  EXPECT_EQ(s.index, 1);
  EXPECT_EQ(s.count, 3);
  EXPECT_TRUE(s.Takes(1));
  EXPECT_TRUE(s.Takes(4));
  EXPECT_FALSE(s.Takes(2));
  for (const char* bad : {"0/3", "4/3", "1/0", "a/3", "3", "-1/2", "1/2/3"}) EXPECT_FALSE(Shard::Parse(bad, &s)) << bad;
}

class DatasetFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_ = testing::UniqueTempPath("dataset_generation");
    fs::remove_all(folder_);
    fs::create_directories(folder_);
  }
  void TearDown() override { fs::remove_all(folder_); }

  DatasetOptions Options(const std::string& csv) const {
    DatasetOptions o;
    o.count = 4;
    o.schedule_name = "tiny";
    o.schedule.epochs = 1;
    o.schedule.batch_size = 32;
    o.schedule.learning_rate = 0.05;
    o.schedule.validation_images = 64;
    o.out_csv = folder_ + "/" + csv;
    return o;
  }
  // The file's rows without the train_seconds column (wall time differs between runs).
  static std::vector<std::string> RowsWithoutTimes(const std::string& path) {
    std::vector<std::string> rows;
    const CsvFile csv = CsvFile::Read(path);
    for (const CsvFile::Row& row : csv.rows()) {
      std::vector<std::string> f = row.fields;
      f.erase(f.begin() + 5);
      rows.push_back(JoinStrings(f, ","));
    }
    std::sort(rows.begin(), rows.end());
    return rows;
  }

  // <folder_>/idx: IDX files of 5,400 training images (the short schedule
  // carves 5,000 for validation) and 200 test images, for the binary.
  void WriteIdx() const { testing::WriteIdxFolder(Bars(5400, 3), Bars(200, 4), folder_ + "/idx"); }

  std::string folder_;
  const SearchSpace space_ = LoadSpace(kTinySpace);
  const ImageDataset train_ = Bars(256, 1);
  const ImageDataset test_ = Bars(64, 2);
};

// Stopped after a network, with a half-written line appended as a kill would
// leave it, then resumed: the same rows as one uninterrupted run, each once.
TEST_F(DatasetFiles, InterruptedRunsResumeWithoutLosingOrRepeatingRows) {
  const DatasetSummary whole = GenerateDataset(space_, train_, test_, Options("whole.csv"));
  EXPECT_EQ(whole.written, 4);
  EXPECT_FALSE(whole.interrupted);

  DatasetOptions stopped = Options("parts.csv");
  int networks = 0;
  stopped.stop_requested = [&] { return networks > 0; };
  const DatasetSummary first = GenerateDataset(space_, train_, test_, stopped, [&](const DatasetProgress&) { ++networks; });
  EXPECT_TRUE(first.interrupted);
  EXPECT_EQ(first.written, 1);
  std::ofstream(stopped.out_csv, std::ios::app) << "00,55.1";  // a row cut short by a kill
  const DatasetSummary rest = GenerateDataset(space_, train_, test_, Options("parts.csv"));
  EXPECT_EQ(rest.written, 3);
  EXPECT_EQ(rest.done, 4);
  EXPECT_EQ(RowsWithoutTimes(folder_ + "/parts.csv"), RowsWithoutTimes(folder_ + "/whole.csv"));
  EXPECT_FALSE(fs::exists(folder_ + "/parts.csv.work"));

  // Nothing left to do: a run adds nothing.
  EXPECT_EQ(GenerateDataset(space_, train_, test_, Options("parts.csv")).written, 0);
  // Rows of another schedule are not mixed in.
  DatasetOptions other = Options("parts.csv");
  other.schedule_name = "long";
  EXPECT_EQ(testing::ErrorOf([&] { GenerateDataset(space_, train_, test_, other); }),
            folder_ + "/parts.csv:2: schedule 'tiny', but this run's is 'long'; write to another file");
}

// A file moved away mid-run is not re-created without its header: the run
// stops with an error that says what happened.
TEST_F(DatasetFiles, AFileMovedAwayMidRunStopsTheRun) {
  const DatasetOptions o = Options("moving.csv");
  const std::string moved = folder_ + "/moved.csv";
  const std::string error = testing::ErrorOf([&] {
    GenerateDataset(space_, train_, test_, o, [&](const DatasetProgress&) {
      if (!fs::exists(moved)) fs::rename(o.out_csv, moved);
    });
  });
  EXPECT_EQ(error, o.out_csv + ": cannot open for appending: No such file or directory (moved or deleted while the run "
                               "was going?)");
  EXPECT_FALSE(fs::exists(o.out_csv));
  EXPECT_EQ(CsvFile::Read(moved).rows().size(), 1u);
}

TEST_F(DatasetFiles, ShardsMergeIntoTheWholeAndRepeatsAreRefused) {
  GenerateDataset(space_, train_, test_, Options("whole.csv"));
  std::vector<std::string> shards;
  for (int i = 0; i < 2; ++i) {
    DatasetOptions o = Options("shard" + std::to_string(i) + ".csv");
    o.shard = {i, 2};
    EXPECT_EQ(GenerateDataset(space_, train_, test_, o).written, 2);
    shards.push_back(o.out_csv);
  }
  MergeDatasets(space_, shards, folder_ + "/merged.csv");
  EXPECT_EQ(RowsWithoutTimes(folder_ + "/merged.csv"), RowsWithoutTimes(folder_ + "/whole.csv"));
  EXPECT_EQ(testing::ErrorOf([&] { MergeDatasets(space_, {shards[0], shards[0]}, folder_ + "/bad.csv"); }),
            shards[0] + ":2: network " + CsvFile::Read(shards[0]).rows()[0].fields[0] + " is already at " + shards[0] +
                ":2");
  EXPECT_FALSE(fs::exists(folder_ + "/bad.csv"));
}

// Under mpirun (Open MPI, as root in CI): each rank trains its shard into its
// own file and rank 0 joins them; the rows equal a single process's.
TEST_F(DatasetFiles, MpirunRanksShardAndRankZeroMerges) {
  EDGENAS_REQUIRE_INSTALLED(std::system("command -v mpirun >/dev/null 2>&1") == 0
                                ? ""
                                : "mpirun is not installed (setup.sh installs openmpi-bin)");
  WriteIdx();
  const std::string args = " dataset --space " + kTinySpace + " -n 4 --data " + folder_ +
                           "/idx --format idx --classes 2 --threads 1 2>/dev/null >/dev/null --out ";
  ASSERT_EQ(std::system(("mpirun --allow-run-as-root --oversubscribe -np 2 " + std::string(EDGENAS_BINARY) + args +
                         folder_ + "/mpi.csv")
                            .c_str()),
            0);
  ASSERT_EQ(std::system((std::string(EDGENAS_BINARY) + args + folder_ + "/one.csv").c_str()), 0);
  EXPECT_EQ(CsvFile::Read(folder_ + "/mpi.shard-1-of-2.csv").rows().size(), 2u);
  EXPECT_EQ(CsvFile::Read(folder_ + "/mpi.shard-2-of-2.csv").rows().size(), 2u);
  EXPECT_EQ(RowsWithoutTimes(folder_ + "/mpi.csv"), RowsWithoutTimes(folder_ + "/one.csv"));
}

// The binary killed with SIGKILL while it trains, then run again with two
// worker processes appending to the file at once: every network of the sample
// once, and a parseable file.
TEST_F(DatasetFiles, KilledBinaryResumes) {
  WriteIdx();
  const std::string csv = folder_ + "/killed.csv";
  const std::string command = std::string(EDGENAS_BINARY) + " dataset --space " + kTinySpace + " -n 6 --data " +
                              folder_ + "/idx --format idx --classes 2 --threads 1 --out " + csv;
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    execl("/bin/sh", "sh", "-c", ("exec " + command + " 2>/dev/null").c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Kill it once its first row is in the file.
  for (int i = 0; i < 600; ++i) {
    if (PathExists(csv) && CsvFile::Read(csv).rows().size() >= 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  const size_t before = CsvFile::Read(csv).rows().size();
  EXPECT_GE(before, 1u);
  EXPECT_LT(before, 6u) << "the run finished before it was killed";
  ASSERT_EQ(std::system((command + " --workers 2 2>/dev/null >/dev/null").c_str()), 0);
  std::set<std::string> archs;
  const CsvFile rows = CsvFile::Read(csv);
  for (const CsvFile::Row& row : rows.rows()) archs.insert(row.fields[0]);
  EXPECT_EQ(rows.rows().size(), 6u);
  EXPECT_EQ(archs.size(), 6u);
  const int threads_column = rows.Column("threads");
  EXPECT_EQ(rows.rows().back().fields[threads_column], "1");  // --threads 1 split over 2 workers: 1 each
}

}  // namespace
}  // namespace edgenas
