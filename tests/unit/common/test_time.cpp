#include <catch2/catch.hpp>

#include "common/time.h"

using namespace isign::common;

TEST_CASE("parse_rfc3339 reads scanners' timestamps", "[time]") {
  const auto base = parse_rfc3339("2026-11-30T10:00:00Z");
  REQUIRE(base);
  CHECK(base->time_since_epoch().count() == 1796032800);
  CHECK(format_rfc3339(*base) == "2026-11-30T10:00:00Z");
  CHECK(*parse_rfc3339("2026-11-30T10:00:00.123456789Z") == *base);
  CHECK(*parse_rfc3339("2026-11-30T11:30:00+01:30") == *base);
  CHECK(*parse_rfc3339("2026-11-30T08:00:00-02:00") == *base);
  CHECK(parse_rfc3339("1970-01-01T00:00:00Z")->time_since_epoch().count() == 0);
  CHECK(parse_rfc3339("2024-02-29T00:00:00Z"));
  for (const char* bad : {"", "2026-11-30", "2026-11-30T10:00:00", "2026-13-01T00:00:00Z",
                          "2025-02-29T00:00:00Z", "2026-11-30T24:00:00Z", "2026-11-30T10:00:00Zx",
                          "2026-11-30T10:00:00.Z", "26-11-30T10:00:00Z"}) {
    INFO(bad);
    auto t = parse_rfc3339(bad);
    REQUIRE_FALSE(t);
    CHECK(t.error().kind() == ErrorKind::usage);
  }
}

TEST_CASE("parse_expiry takes a date as the end of that day", "[time]") {
  CHECK(format_rfc3339(*parse_expiry("2027-01-31")) == "2027-02-01T00:00:00Z");
  CHECK(format_rfc3339(*parse_expiry("2027-01-31T12:00:00Z")) == "2027-01-31T12:00:00Z");
  CHECK_FALSE(parse_expiry("2027-01-32"));
  CHECK_FALSE(parse_expiry("tomorrow"));
}

TEST_CASE("parse_duration reads 7d, 36h and combinations", "[time]") {
  CHECK(parse_duration("7d")->count() == 7 * 86400);
  CHECK(parse_duration("36h")->count() == 36 * 3600);
  CHECK(parse_duration("1d12h")->count() == 36 * 3600);
  CHECK(parse_duration("90m")->count() == 5400);
  CHECK(parse_duration("45s")->count() == 45);
  for (const char* bad : {"", "7", "d", "7w", "-1d", "0d", "1.5d", "7d ", "99999999999d"}) {
    INFO(bad);
    CHECK_FALSE(parse_duration(bad));
  }
  CHECK(format_duration(std::chrono::seconds(36 * 3600)) == "1d12h");
  CHECK(format_duration(std::chrono::seconds(7 * 86400)) == "7d");
}
