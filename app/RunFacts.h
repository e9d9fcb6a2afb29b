#pragma once
// The "Run" tab of the details pane: how a result set was measured — host, devices, driver, CUDA,
// CUPTI and library versions, clocks at the start and end and during the run, power limit, persistence
// mode, other processes on the GPU, and the FLOP and byte formulas (engine/attnscope/environment.hpp).
// With a second file overlaid the two stand side by side and every row that differs is marked, so two
// files from two machines are compared honestly.
#include <QString>

#include "ResultSet.h"

namespace attnscope::gui {

QString runFactsHtml(const ResultSet& primary, const ResultSet* overlay);

}  // namespace attnscope::gui
