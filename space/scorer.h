// A Scorer turns networks into numbers without training them: n genomes of one
// space in, n values out.
//
//   Genome[n] --Scorer::Score--> double[n]   (and, if the scorer has one, a spread per value)
//
// Implementations:
//   LutCostModel          a device's latency or energy from its lookup tables (cost/)
//   CountedMetricScorer   MACs, parameters or peak activation memory (cost/)
//   AccuracyPredictor     an MLP ensemble's predicted top-1 accuracy (accuracy/)
// The search sees only this interface (search/evaluator.h), like TVM's
// CostModel::Predict and Faiss's Index::search: batched, so an implementation
// can tile and vectorise, with no virtual call per genome.
//
// Contract for every implementation:
//  - Thread-safe: Score is const and may be called from several threads at
//    once; it may itself run TBB tasks in the caller's arena.
//  - Deterministic: a genome's value depends on the genome alone, never on its
//    batch, its position in it, or the number of threads.
//  - Genomes are valid for the space the scorer was made for.
//
// How to add a scorer: implement Score (and ScoreWithSpread if the value has
// an uncertainty), say whether it is cheap, and map a metric name to it where
// the job wires scorers (job/job.cc).
#pragma once

#include <cstddef>

#include "space/genome.h"

namespace edgenas {

class Scorer {
 public:
  virtual ~Scorer() = default;

  // values[i] = the score of genomes[i], for i < n.
  virtual void Score(const Genome* genomes, size_t n, double* values) const = 0;

  // As Score, and spreads[i] = the uncertainty of values[i] (for an ensemble,
  // the standard deviation over its members). Scorers without one write 0.
  virtual void ScoreWithSpread(const Genome* genomes, size_t n, double* values, double* spreads) const {
    Score(genomes, n, values);
    for (size_t i = 0; i < n; ++i) spreads[i] = 0;
  }
  // True if ScoreWithSpread reports a spread worth showing.
  virtual bool has_spread() const { return false; }

  // True if one genome costs well under a microsecond or two (table reads,
  // counting layers): the search then checks constraints on this score while
  // it makes each candidate, and rejects a candidate before it is scored in
  // full. Other scorers are called only on whole batches.
  virtual bool cheap() const { return false; }
};

}  // namespace edgenas
