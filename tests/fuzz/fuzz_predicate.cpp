// Attestation predicates: bytes given to `attest --type` (cosign::make_predicate, for each type)
// and verified predicates (the readers gates use). The first byte picks the type and whether the
// file has a modification time; the rest is the file. A made predicate must be strict JSON, and
// one made from a JSON document must hold that document unchanged.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/json.h"
#include "cosign/predicate.h"
#include "tests/fuzz/fuzz_support.h"

using namespace isign;

namespace {

constexpr std::string_view kTypes[] = {"custom",
                                       "slsaprovenance",
                                       "slsaprovenance02",
                                       "slsaprovenance1",
                                       "spdx",
                                       "spdxjson",
                                       "cyclonedx",
                                       "link",
                                       "vuln",
                                       "openvex",
                                       "https://example.com/any/v1"};
constexpr std::size_t kTypeCount = sizeof kTypes / sizeof kTypes[0];

bool one_line(const std::string& s) {
  return !s.empty() && s.find('\n') == std::string::npos && s.find('\r') == std::string::npos;
}

template <class R> void check_error(const R& result) {
  if (!result.ok())
    ISIGN_FUZZ_CHECK(one_line(result.error().message()));
}

// Every reader over a value, as every predicate type: none may crash, errors are one line.
void read_all(const nlohmann::json& value) {
  for (const std::string_view type :
       {cosign::kVulnPredicateType, cosign::kInTotoVulnsPredicateType})
    check_error(cosign::read_vuln_predicate(type, value));
  for (const std::string_view type : {cosign::kCycloneDxPredicateType, cosign::kSpdxPredicateType})
    check_error(cosign::sbom_created(type, value));
  for (const std::string_view type : {cosign::kSlsa02PredicateType, cosign::kSlsa1PredicateType})
    check_error(cosign::read_slsa(type, value));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  const std::string_view type = kTypes[(data[0] & 0x7f) % kTypeCount];
  const std::string_view bytes = fuzz::as_view(data + 1, size - 1);
  const auto kind = cosign::predicate_kind(type);
  ISIGN_FUZZ_CHECK(kind.ok());
  const auto now = common::parse_rfc3339("2026-11-30T10:00:00Z").value();
  cosign::PredicateFile file{bytes, "fuzz.json", std::nullopt, now};
  if ((data[0] & 0x80) != 0)
    file.modified = now - std::chrono::hours(1);

  ISIGN_FUZZ_CHECK(!cosign::describe_document(bytes).empty());
  const auto input = common::parse_strict_json(bytes);
  if (input)
    read_all(*input);

  const auto made = cosign::make_predicate(*kind, file);
  if (!made) {
    ISIGN_FUZZ_CHECK(made.error().kind() == common::ErrorKind::usage);
    ISIGN_FUZZ_CHECK(one_line(made.error().message()));
    return 0;
  }
  for (const auto& note : made->notes)
    ISIGN_FUZZ_CHECK(one_line(note));
  const auto predicate = common::parse_strict_json(made->json);
  ISIGN_FUZZ_CHECK(predicate.ok());
  if (type == "custom") {
    ISIGN_FUZZ_CHECK(predicate->is_object() && predicate->size() == 2);
  } else if (type == "spdx") {
    ISIGN_FUZZ_CHECK(predicate->is_string());
  } else if (type == "vuln") {
    // A wrapped report is the file's document; a cosign-vuln predicate is the file itself.
    // A cosign-vuln predicate may have no scanner.result (cosign's Go type leaves it nil): look
    // it up with find, which a const document allows on a missing key.
    ISIGN_FUZZ_CHECK(input.ok());
    bool wrapped = false;
    if (auto scanner = predicate->find("scanner");
        scanner != predicate->end() && scanner->is_object())
      if (auto result = scanner->find("result"); result != scanner->end())
        wrapped = *result == *input;
    ISIGN_FUZZ_CHECK(*predicate == *input || wrapped);
  } else {
    ISIGN_FUZZ_CHECK(input.ok());
    ISIGN_FUZZ_CHECK(*predicate == *input);
  }
  read_all(*predicate);
  return 0;
}
