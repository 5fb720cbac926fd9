// What the LibTorch commands that train (train, export of a job) share.
#pragma once

#include <chrono>

#include "train/classifier_training.h"

namespace edgenas {

// Every core of the machine: the default thread count for training.
int MachineThreads();

// Wall seconds since `start`, for the stage times the commands print.
double SecondsSince(std::chrono::steady_clock::time_point start);

// A training's progress on stderr: a line rewritten in place on a terminal,
// else five lines an epoch; one line per finished epoch either way.
void PrintTrainingProgress(const TrainingProgress& p, bool terminal);

}  // namespace edgenas
