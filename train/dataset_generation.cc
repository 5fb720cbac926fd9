#include "train/dataset_generation.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "common/csv_reader.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/rng.h"
#include "common/text.h"
#include "space/network_stats.h"

namespace edgenas {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kHeader = {"arch",   "accuracy", "test_accuracy", "params", "macs",
                                          "train_seconds", "seed", "schedule", "threads"};

// Pool per network for stratified sampling: bins are filled from this many
// random networks per requested one.
constexpr int kStratifiedPool = 20;

std::string HeaderText() { return JoinStrings(kHeader, ",") + "\n"; }

// Cuts a half-written last line (a run killed while appending) off `path`.
// Returns whether anything was cut.
bool RepairLastLine(const std::string& path) {
  const std::string text = ReadFile(path);
  if (text.empty() || text.back() == '\n') return false;
  const size_t keep = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
  EDGENAS_THROW_IF_NOT_FMT(::truncate(path.c_str(), static_cast<off_t>(keep)) == 0, "{}: cannot repair: {}", path,
                           std::strerror(errno));
  return true;
}

// Appends `line` to `path` and fsyncs it: once this returns, the row survives
// a crash of the process or the machine. The file exists (made with its header
// before training starts); if it was moved or deleted since, the row is not
// written to a new file without a header: the run stops with this error, and
// the same command run again starts a file with its header.
void AppendLine(const std::string& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
  const int open_error = errno;
  EDGENAS_THROW_IF_NOT_FMT(fd >= 0, "{}: cannot open for appending: {}{}", path, std::strerror(open_error),
                           open_error == ENOENT ? " (moved or deleted while the run was going?)" : "");
  const ssize_t written = ::write(fd, line.data(), line.size());
  const int saved = errno;
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  EDGENAS_THROW_IF_NOT_FMT(written == static_cast<ssize_t>(line.size()) && synced, "{}: cannot append: {}", path,
                           std::strerror(written < 0 ? saved : errno));
}

// The canonical arch strings already in `path` (created with its header if
// missing), checked against the schedule.
std::set<std::string> RowsDone(const SearchSpace& space, const std::string& path, const std::string& schedule) {
  if (!PathExists(path)) {
    WriteFileAtomically(path, HeaderText());
    return {};
  }
  RepairLastLine(path);
  const CsvFile csv = CsvFile::Read(path);
  EDGENAS_THROW_IF_NOT_FMT(csv.header() == kHeader, "{}:{}: header '{}'; a dataset file of edgenas has '{}'", path,
                           csv.header_line(), Printable(csv.HeaderLine(), 200), JoinStrings(kHeader, ","));
  std::set<std::string> done;
  const int schedule_column = csv.Column("schedule");
  for (const CsvFile::Row& row : csv.rows()) {
    if (row.fields[schedule_column] != schedule) {
      csv.Fail(row, fmt::format("schedule '{}', but this run's is '{}'; write to another file",
                                Printable(row.fields[schedule_column], 40), schedule));
    }
    try {
      done.insert(space.ToString(space.Canonical(space.Parse(row.fields[0]))));
    } catch (const Error& e) {
      csv.Fail(row, e.what());
    }
  }
  return done;
}

}  // namespace

const char* SamplingToString(Sampling sampling) {
  return sampling == Sampling::kStratifiedMacs ? "macs" : "uniform";
}

bool StringToSampling(const std::string& name, Sampling* sampling) {
  for (Sampling s : {Sampling::kUniform, Sampling::kStratifiedMacs}) {
    if (name == SamplingToString(s)) {
      *sampling = s;
      return true;
    }
  }
  return false;
}

std::vector<std::string> DatasetScheduleNames() { return {"one_pass", "short", "long"}; }

bool DatasetSchedule(const std::string& name, TrainingSchedule* schedule) {
  // one_pass: one epoch over the whole training split (55,000 Fashion-MNIST
  // images), the schedule shipped datasets are made with. short and long: one
  // and five passes over its first 20,000 images, the pair docs/training.md
  // compares to measure how faithful a cheap schedule is.
  TrainingSchedule s;
  s.epochs = 1;
  s.validation_images = 5000;
  s.warmup_epochs = 0.1;
  if (name == "one_pass") {
    s.train_images = 0;
  } else if (name == "short") {
    s.train_images = 20000;
  } else if (name == "long") {
    s.train_images = 20000;
    s.epochs = 5;
    s.warmup_epochs = 0.3;
  } else {
    return false;
  }
  *schedule = s;
  return true;
}

std::vector<Genome> SampleDistinctNetworks(const SearchSpace& space, int count, Sampling sampling, uint64_t seed) {
  EDGENAS_THROW_IF_NOT_FMT(count >= 1 && static_cast<double>(count) <= space.NumDistinctNetworks(),
                           "space '{}' has {:.0f} distinct networks; {} were asked for", space.name(),
                           space.NumDistinctNetworks(), count);
  const size_t wanted = sampling == Sampling::kUniform ? static_cast<size_t>(count)
                                                       : static_cast<size_t>(count) * kStratifiedPool;
  const size_t pool_size = static_cast<size_t>(std::min<double>(static_cast<double>(wanted), space.NumDistinctNetworks()));
  Rng rng(seed);
  std::vector<Genome> pool;
  std::set<std::vector<uint8_t>> seen;
  for (size_t tries = 0; pool.size() < pool_size; ++tries) {
    EDGENAS_THROW_IF_NOT_FMT(tries < 1000 * pool_size + 100000, "space '{}': cannot find {} distinct networks",
                             space.name(), pool_size);
    const Genome g = space.Canonical(space.Sample(rng));
    if (seen.insert(g.genes).second) pool.push_back(g);
  }
  if (sampling == Sampling::kUniform) return pool;
  // Sorted by MACs, cut into `count` bins of equal size; one network from each.
  std::vector<std::pair<int64_t, size_t>> by_macs;
  for (size_t i = 0; i < pool.size(); ++i) by_macs.emplace_back(ComputeStats(space.Decode(pool[i])).macs, i);
  std::sort(by_macs.begin(), by_macs.end());
  std::vector<Genome> picked;
  for (int b = 0; b < count; ++b) {
    const size_t first = by_macs.size() * b / count, last = by_macs.size() * (b + 1) / count;
    picked.push_back(pool[by_macs[first + rng.UniformInt(static_cast<uint32_t>(last - first))].second]);
  }
  return picked;
}

bool Shard::Parse(const std::string& text, Shard* shard) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos) return false;
  const std::string i = text.substr(0, slash), n = text.substr(slash + 1);
  const auto digits = [](const std::string& s) {
    return !s.empty() && s.size() <= 6 && s.find_first_not_of("0123456789") == std::string::npos;
  };
  if (!digits(i) || !digits(n)) return false;
  const int index = std::stoi(i), count = std::stoi(n);
  if (count < 1 || index < 1 || index > count) return false;
  *shard = {index - 1, count};
  return true;
}

DatasetPlan PlanDataset(const SearchSpace& space, const DatasetOptions& o) {
  EDGENAS_THROW_IF_NOT_FMT(!o.out_csv.empty(), "DatasetOptions::out_csv is empty");
  EDGENAS_THROW_IF_NOT_FMT(o.shard.count >= 1 && o.shard.index >= 0 && o.shard.index < o.shard.count,
                           "DatasetOptions::shard = {}/{}", o.shard.index + 1, o.shard.count);
  const std::vector<Genome> sample = SampleDistinctNetworks(space, o.count, o.sampling, o.sample_seed);
  const std::set<std::string> done = RowsDone(space, o.out_csv, o.schedule_name);
  DatasetPlan plan;
  for (size_t i = 0; i < sample.size(); ++i) {
    if (!o.shard.Takes(i)) continue;
    ++plan.total;
    if (done.count(space.ToString(sample[i]))) {
      ++plan.done;
    } else {
      plan.todo.push_back(sample[i]);
    }
  }
  return plan;
}

DatasetSummary TrainDatasetRows(const SearchSpace& space, const ImageDataset& train, const ImageDataset& test,
                                const DatasetOptions& o, const std::vector<Genome>& todo,
                                const std::function<void(const DatasetProgress&)>& progress) {
  const std::string work = o.work_folder.empty() ? o.out_csv + ".work" : o.work_folder;
  DatasetSummary summary;
  summary.total = static_cast<int>(todo.size());
  for (const Genome& genome : todo) {
    if (o.stop_requested && o.stop_requested()) {
      summary.interrupted = true;
      break;
    }
    const std::string arch = space.ToString(genome);
    ClassifierTrainingOptions t;
    t.schedule = o.schedule;
    t.seed = o.training_seed;
    t.threads = o.threads;
    t.out_folder = work + "/" + arch;  // arch strings are file-name safe: letters, digits, '.', '-'
    t.resume = PathExists(t.out_folder + "/checkpoint.pt");
    t.stop_requested = o.stop_requested;
    if (!t.resume) fs::remove_all(t.out_folder);  // a finished or empty folder of an earlier run
    const ClassifierMetrics m = TrainClassifier(space, genome, train, test, t);
    if (m.interrupted) {
      summary.interrupted = true;
      break;
    }
    AppendLine(o.out_csv, fmt::format("{},{:.4f},{:.4f},{},{},{:.2f},{},{},{}\n", arch, m.validation_top1, m.test_top1,
                                      m.params, m.macs, m.train_seconds, o.training_seed, o.schedule_name,
                                      o.threads));
    fs::remove_all(t.out_folder);
    ++summary.written;
    ++summary.done;
    if (progress) progress({summary.done, summary.total, arch, m.validation_top1, m.train_seconds});
  }
  std::error_code ignored;
  fs::remove(work, ignored);  // only if empty
  return summary;
}

DatasetSummary GenerateDataset(const SearchSpace& space, const ImageDataset& train, const ImageDataset& test,
                               const DatasetOptions& o, const std::function<void(const DatasetProgress&)>& progress) {
  const DatasetPlan plan = PlanDataset(space, o);
  DatasetSummary summary = TrainDatasetRows(space, train, test, o, plan.todo, [&](const DatasetProgress& p) {
    if (progress) progress({plan.done + p.done, plan.total, p.arch, p.validation_top1, p.seconds});
  });
  summary.total = plan.total;
  summary.done += plan.done;
  return summary;
}

void MergeDatasets(const SearchSpace& space, const std::vector<std::string>& inputs, const std::string& out_csv) {
  EDGENAS_THROW_IF_NOT_FMT(!inputs.empty(), "nothing to merge");
  std::string text = HeaderText();
  std::map<std::string, std::string> seen;  // canonical arch -> "file:line"
  std::string schedule;
  for (const std::string& path : inputs) {
    const CsvFile csv = CsvFile::Read(path);
    EDGENAS_THROW_IF_NOT_FMT(csv.header() == kHeader, "{}:{}: header '{}'; a dataset file of edgenas has '{}'", path,
                             csv.header_line(), Printable(csv.HeaderLine(), 200), JoinStrings(kHeader, ","));
    const int schedule_column = csv.Column("schedule");
    for (const CsvFile::Row& row : csv.rows()) {
      if (schedule.empty()) schedule = row.fields[schedule_column];
      if (row.fields[schedule_column] != schedule) {
        csv.Fail(row, fmt::format("schedule '{}', but the rows before have '{}'",
                                  Printable(row.fields[schedule_column], 40), schedule));
      }
      std::string canonical;
      try {
        canonical = space.ToString(space.Canonical(space.Parse(row.fields[0])));
      } catch (const Error& e) {
        csv.Fail(row, e.what());
      }
      const std::string here = fmt::format("{}:{}", path, row.line);
      const auto [it, fresh] = seen.emplace(canonical, here);
      if (!fresh) csv.Fail(row, fmt::format("network {} is already at {}", canonical, it->second));
      text += JoinStrings(row.fields, ",") + "\n";
    }
  }
  WriteFileAtomically(out_csv, text);
}

}  // namespace edgenas
