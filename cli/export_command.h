// `edgenas export` as a function, for `edgenas run`, which chains it after
// the search (LibTorch side: edgenas-torch).
#pragma once

#include <string>

#include "cli/data_source.h"
#include "export/network_export.h"

namespace edgenas {

struct ExportCommandOptions {
  ExportOptions exporter;
  DataSource source;
  std::string job_folder;  // a finished search's results folder, instead of --weights
  bool print_report = true;  // the export's report.md on stdout when done
};

// How long ExportJob's two stages took; a stage finished by an earlier run is
// kept, not timed.
struct ExportJobTimes {
  double teacher_seconds = 0;  // training the recipe's teacher, if it names one
  bool teacher_kept = false;
  double train_seconds = 0;
  bool train_kept = false;
  double export_seconds = 0;  // calibrate, quantize, write ONNX, verify in ONNX Runtime
  bool export_kept = false;
};

// `edgenas export results/<job>`: trains the recipe's teacher, if any, into
// <job>/teacher, the chosen network into <job>/train (distilled from the
// teacher; an interrupted training resumes), then exports it into
// <job>/export, as the recipe's export: section says. Each stage that
// finished before is kept, so a re-run goes on where the last one stopped.
// Throws Interrupted on Ctrl-C during training (the epoch's checkpoint is kept).
ExportJobTimes ExportJob(ExportCommandOptions& o);

}  // namespace edgenas
