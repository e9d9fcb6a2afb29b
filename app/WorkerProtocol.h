#pragma once
// The app's end of the worker protocol. The messages, their writers and readers live in the core
// (attnscope/protocol.hpp) and are shared with attnscope-cli and the result-file loader; this adapter
// only hands them Qt's bytes. Every function throws attnscope::FormatError naming the JSON path.
#include <QByteArray>
#include <string_view>

#include "attnscope/protocol.hpp"

namespace attnscope::gui {

inline std::string_view bytesView(const QByteArray& b) { return {b.constData(), static_cast<std::size_t>(b.size())}; }

// One line of `run --stream`.
inline WorkerMessage parseWorkerLine(const QByteArray& line) { return parse_worker_line(bytesView(line)); }
// `backends … --json`: every backend at every probe of the sweep.
inline EligibilityReport parseEligibility(const QByteArray& json) { return parse_eligibility_report(bytesView(json)); }
// `devices --json`.
inline DeviceList parseDeviceList(const QByteArray& json) { return parse_device_report(bytesView(json)).list; }

}  // namespace attnscope::gui
