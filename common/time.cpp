#include "common/time.h"

#include <cctype>
#include <cstdint>
#include <ctime>

#include "common/json.h"

namespace isign::common {

namespace {

// Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool leap(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

// Reads exactly n digits at text[pos], advancing pos.
bool digits(std::string_view text, std::size_t& pos, std::size_t n, unsigned& out) {
  if (pos + n > text.size())
    return false;
  out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9')
      return false;
    out = out * 10 + static_cast<unsigned>(c - '0');
  }
  pos += n;
  return true;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c)
    return false;
  ++pos;
  return true;
}

// "YYYY-MM-DD" at pos: days since the epoch.
bool read_date(std::string_view text, std::size_t& pos, std::int64_t& days) {
  unsigned y = 0, m = 0, d = 0;
  if (!digits(text, pos, 4, y) || !expect(text, pos, '-') || !digits(text, pos, 2, m) ||
      !expect(text, pos, '-') || !digits(text, pos, 2, d))
    return false;
  if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
    return false;
  days = days_from_civil(y, m, d);
  return true;
}

Error bad_time(std::string_view text, std::string_view form) {
  return Error(ErrorKind::usage, quote_for_message(text) + " is not " + std::string(form));
}

} // namespace

Result<TimePoint> parse_rfc3339(std::string_view text) {
  constexpr std::string_view kForm = "an RFC 3339 time such as 2026-11-30T10:00:00Z";
  std::size_t pos = 0;
  std::int64_t days = 0;
  unsigned hh = 0, mm = 0, ss = 0;
  if (!read_date(text, pos, days) || pos >= text.size() ||
      (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' '))
    return bad_time(text, kForm);
  ++pos;
  if (!digits(text, pos, 2, hh) || !expect(text, pos, ':') || !digits(text, pos, 2, mm) ||
      !expect(text, pos, ':') || !digits(text, pos, 2, ss) || hh > 23 || mm > 59 || ss > 60)
    return bad_time(text, kForm);
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])))
      ++pos;
    if (pos == start)
      return bad_time(text, kForm);
  }
  std::int64_t offset = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const bool minus = text[pos] == '-';
    ++pos;
    unsigned oh = 0, om = 0;
    if (!digits(text, pos, 2, oh) || !expect(text, pos, ':') || !digits(text, pos, 2, om) ||
        oh > 23 || om > 59)
      return bad_time(text, kForm);
    offset = (minus ? -1 : 1) * static_cast<std::int64_t>(oh * 3600 + om * 60);
  } else {
    return bad_time(text, kForm);
  }
  if (pos != text.size())
    return bad_time(text, kForm);
  const std::int64_t secs = days * 86400 + hh * 3600 + mm * 60 + (ss == 60 ? 59 : ss) - offset;
  return TimePoint(std::chrono::seconds(secs));
}

Result<TimePoint> parse_expiry(std::string_view text) {
  std::size_t pos = 0;
  std::int64_t days = 0;
  if (read_date(text, pos, days) && pos == text.size())
    return TimePoint(std::chrono::seconds((days + 1) * 86400));
  auto t = parse_rfc3339(text);
  if (!t)
    return bad_time(text, "a date such as 2027-01-31 or an RFC 3339 time");
  return t;
}

std::string format_rfc3339(TimePoint t) {
  const std::time_t secs = static_cast<std::time_t>(t.time_since_epoch().count());
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

TimePoint now_seconds() {
  return std::chrono::time_point_cast<std::chrono::seconds>(Clock::now());
}

Result<std::chrono::seconds> parse_duration(std::string_view text) {
  auto bad = [&] {
    return Error(ErrorKind::usage, quote_for_message(text) +
                                       " is not a duration: write a number and a unit, d, h, m "
                                       "or s, such as 7d, 36h or 1d12h");
  };
  constexpr std::int64_t kMax = 100LL * 366 * 86400;
  std::int64_t total = 0;
  std::size_t pos = 0;
  if (text.empty())
    return bad();
  while (pos < text.size()) {
    std::int64_t n = 0;
    const std::size_t start = pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      n = n * 10 + (text[pos] - '0');
      if (n > kMax)
        return bad();
      ++pos;
    }
    if (pos == start || pos == text.size())
      return bad();
    std::int64_t unit = 0;
    switch (text[pos]) {
    case 'd':
      unit = 86400;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'm':
      unit = 60;
      break;
    case 's':
      unit = 1;
      break;
    default:
      return bad();
    }
    ++pos;
    total += n * unit;
    if (total > kMax)
      return bad();
  }
  if (total <= 0)
    return bad();
  return std::chrono::seconds(total);
}

std::string format_duration(std::chrono::seconds seconds) {
  std::int64_t s = seconds.count();
  if (s <= 0)
    return "0s";
  std::string out;
  const std::pair<std::int64_t, char> units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  for (const auto& [size, unit] : units) {
    if (s >= size) {
      out += std::to_string(s / size) + unit;
      s %= size;
    }
  }
  return out;
}

} // namespace isign::common
