// Times and durations as users and scanners write them: RFC 3339 timestamps (scan and SBOM
// creation times, policy expiry dates) and short durations ("7d", "36h") for age limits.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/result.h"

namespace isign::common {

using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<Clock, std::chrono::seconds>;

// An RFC 3339 timestamp: "2026-11-30T10:00:00Z", with optional fractional seconds (dropped) and
// a "Z" or "+hh:mm"/"-hh:mm" offset ("t"/"z" accepted as Go's time.Parse does not, but
// scanners write them upper case). Usage error naming the text otherwise.
Result<TimePoint> parse_rfc3339(std::string_view text);

// A calendar date "2027-01-31" (an allow list's expiry): the first second after that day ends,
// UTC (an entry "until 2027-01-31" still excuses on that day). RFC 3339 timestamps are accepted
// too and taken as they are. Usage error otherwise.
Result<TimePoint> parse_expiry(std::string_view text);

// t as "2026-11-30T10:00:00Z".
std::string format_rfc3339(TimePoint t);

// The current time, to the second.
TimePoint now_seconds();

// A duration: one or more <number><unit> groups, units d, h, m, s ("7d", "36h", "1d12h", "90m");
// positive, at most 100 years. Usage error naming the text and the accepted form otherwise.
Result<std::chrono::seconds> parse_duration(std::string_view text);

// seconds as the shortest of "7d", "36h", "1d12h", "90s": for messages.
std::string format_duration(std::chrono::seconds seconds);

} // namespace isign::common
