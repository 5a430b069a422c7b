// Predicates made from a file as cosign attest --type makes them (docs/formats.md sections 13 and
// 14). A scanner report can be tens of megabytes: it is checked with one SAX pass that keeps only
// the few values classification needs (predicate_scan.cpp), and copied once, compacted, into the
// predicate. The readers for gates are predicate_read.cpp's.
#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/json.h"
#include "cosign/payload.h"
#include "cosign/predicate.h"
#include "cosign/predicate_scan.h"

namespace isign::cosign {

using nlohmann::json;

using detail::classify;
using detail::describe;
using detail::Doc;
using detail::Facts;
using detail::scan;

namespace {

// Appends text without the whitespace outside strings: every other byte as it was.
void append_compact(std::string& out, std::string_view text) {
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      out.push_back(c);
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
      continue;
    if (c == '"')
      in_string = true;
    out.push_back(c);
  }
}

std::string compact(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_compact(out, text);
  return out;
}

// A file name for a one-line message.
std::string shown(const std::string& name) {
  std::string out = "'";
  for (const char c : name)
    out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
  return out + "'";
}

// What each --type expects, for "is X, not <expected>".
struct Expectation {
  std::string_view shorthand;
  std::string_view expected;
  Doc doc;
};
constexpr std::array<Expectation, 8> kExpectations{{
    {"spdxjson", "an SPDX JSON document", Doc::spdx},
    {"cyclonedx", "a CycloneDX SBOM", Doc::cyclonedx},
    {"openvex", "an OpenVEX document", Doc::openvex},
    {"link", "an in-toto link", Doc::link},
    {"slsaprovenance", "SLSA provenance v0.2", Doc::slsa02},
    {"slsaprovenance02", "SLSA provenance v0.2", Doc::slsa02},
    {"slsaprovenance1", "SLSA provenance v1", Doc::slsa1},
    {"vuln", "a vulnerability report", Doc::cosign_vuln},
}};

// What the user can do instead, when the file is a known other thing.
std::string hint(std::string_view shorthand, Doc found) {
  switch (found) {
  case Doc::statement:
    return " (give its predicate: jq .predicate)";
  case Doc::envelope:
    return " (give the predicate of its base64 payload: jq -r .payload | base64 -d | jq "
           ".predicate)";
  case Doc::signed_metadata:
    return " (give its \"signed\" object: jq .signed)";
  case Doc::slsa1:
    return shorthand == "slsaprovenance" || shorthand == "slsaprovenance02"
               ? " (use --type slsaprovenance1)"
               : "";
  case Doc::slsa02:
    return shorthand == "slsaprovenance1" ? " (use --type slsaprovenance02)" : "";
  default:
    break;
  }
  if (shorthand == "vuln")
    return " (give a Trivy or Grype JSON report, or trivy --format cosign-vuln output)";
  return "";
}

std::string type_name(const PredicateKind& kind) {
  return "--type " + (kind.shorthand.empty() ? kind.uri : kind.shorthand);
}

common::Error refuse(const PredicateKind& kind, const PredicateFile& file,
                     const std::string& what) {
  return common::make_error(common::ErrorKind::usage,
                            type_name(kind) + ": " + shown(file.name) + " " + what);
}

// The refusal for a file that is not JSON, or JSON of another kind.
common::Error mismatch(const PredicateKind& kind, const PredicateFile& file, Doc found,
                       const Facts& facts, std::string_view expected) {
  if (found == Doc::not_json)
    return refuse(kind, file, "is not JSON: " + facts.error);
  return refuse(kind, file,
                "is " + describe(found, facts) + ", not " + std::string(expected) +
                    hint(kind.shorthand, found));
}

// Percent-encodes a purl version as packageurl-go does (unreserved characters kept).
std::string purl_version(std::string_view version) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : version) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

// A scan time the report states at path, normalised to UTC seconds; nullopt when absent or
// empty (Grype's snapshots write ""); usage error when it is there but not an RFC 3339 time.
common::Result<std::optional<common::TimePoint>> report_time(const PredicateKind& kind,
                                                             const PredicateFile& file,
                                                             const Facts& facts,
                                                             std::string_view path) {
  if (!facts.present(path))
    return std::optional<common::TimePoint>();
  // "--type vuln: 'f.json': CreatedAt: ...": the field, then what is wrong with it.
  const std::string where = type_name(kind) + ": " + shown(file.name) + ": " + std::string(path);
  const std::string* text = facts.string_at(path);
  if (!text)
    return common::make_error(common::ErrorKind::usage,
                              where + " is " +
                                  common::json_type_name(json(facts.types.find(path)->second)) +
                                  ", not an RFC 3339 time");
  if (text->empty())
    return std::optional<common::TimePoint>();
  auto t = common::parse_rfc3339(*text);
  if (!t)
    return common::make_error(common::ErrorKind::usage, where + ": " + t.error().message());
  return std::optional<common::TimePoint>(*t);
}

common::Result<MadePredicate> wrap_report(const PredicateKind& kind, const PredicateFile& file,
                                          Doc doc, const Facts& facts) {
  const bool trivy = doc == Doc::trivy;
  const std::string_view scanner = trivy ? "Trivy" : "Grype";
  const std::string_view time_path = trivy ? "CreatedAt" : "descriptor.timestamp";
  const std::string_view version_path = trivy ? "Trivy.Version" : "descriptor.version";
  MadePredicate made;

  auto stated = report_time(kind, file, facts, time_path);
  if (!stated)
    return std::move(stated).error();
  common::TimePoint scanned;
  if (*stated) {
    scanned = **stated;
  } else if (file.modified) {
    // Both times are required (cosign decodes them into time.Time); the file's modification
    // time is the latest the scan can have finished, so a scan-age gate errs towards old.
    scanned = *file.modified;
    made.notes.push_back(shown(file.name) + " has no scan time (" + std::string(time_path) +
                         "); dated by the file's modification time " +
                         common::format_rfc3339(scanned));
  } else {
    return refuse(kind, file,
                  "has no scan time (" + std::string(time_path) +
                      ") and no modification time to date it by");
  }

  std::string version;
  if (const std::string* v = facts.string_at(version_path))
    version = *v;
  // Grype built without version information says "[not provided]" (cmd/grype/internal).
  if (version == "[not provided]")
    version.clear();
  std::string uri = trivy ? "pkg:github/aquasecurity/trivy" : "pkg:github/anchore/grype";
  if (!version.empty())
    uri += "@" + purl_version(version);
  else
    made.notes.push_back(shown(file.name) + " does not say which " + std::string(scanner) +
                         " version wrote it (" + std::string(version_path) +
                         "); scanner.version is left empty");

  const std::string time = "\"" + common::format_rfc3339(scanned) + "\"";
  // cosign's CosignVulnPredicate in Go field order, as trivy --format cosign-vuln writes it
  // (docs/formats.md section 13).
  const std::string head = R"({"invocation":{"parameters":null,"uri":"","event_id":"",)"
                           R"("builder.id":""},"scanner":{"uri":)" +
                           go_json_string(uri) + R"(,"version":)" + go_json_string(version) +
                           R"(,"db":{"uri":"","version":""},"result":)";
  const std::string tail =
      R"(},"metadata":{"scanStartedOn":)" + time + R"(,"scanFinishedOn":)" + time + "}}";
  made.json.reserve(head.size() + file.bytes.size() + tail.size());
  made.json += head;
  append_compact(made.json, file.bytes);
  made.json += tail;
  return made;
}

common::Result<MadePredicate> vuln_predicate(const PredicateKind& kind, const PredicateFile& file,
                                             Doc doc, const Facts& facts) {
  if (doc == Doc::trivy || doc == Doc::grype)
    return wrap_report(kind, file, doc, facts);
  if (doc != Doc::cosign_vuln)
    return mismatch(kind, file, doc, facts, "a vulnerability report");
  // cosign decodes both times into time.Time: an absent, empty or malformed one fails attest.
  for (const std::string_view path : {"metadata.scanStartedOn", "metadata.scanFinishedOn"}) {
    auto t = report_time(kind, file, facts, path);
    if (!t)
      return std::move(t).error();
    if (!*t)
      return refuse(kind, file,
                    "is a cosign-vuln predicate without " + std::string(path) +
                        " (cosign requires both scan times)");
  }
  return MadePredicate{compact(file.bytes), {}};
}

bool looks_like_spdx_tag_value(std::string_view text) {
  return text.find("SPDXVersion:") != std::string_view::npos;
}

} // namespace

common::Result<MadePredicate> make_predicate(const PredicateKind& kind, const PredicateFile& file) {
  const std::string_view shorthand = kind.shorthand;
  if (shorthand == "custom" || (shorthand.empty() && kind.uri == kCustomPredicateType)) {
    // cosign's CosignPredicate{Data: string(file), Timestamp: UTC RFC 3339}, Go field order.
    // cosign stamps the time of the attest; isign the file's modification time when it has one,
    // so that attesting the same file again is the same attestation, not one more.
    MadePredicate made;
    made.json = R"({"Data":)" + go_json_string(file.bytes) + R"(,"Timestamp":")" +
                common::format_rfc3339(file.modified.value_or(file.now)) + "\"}";
    return made;
  }

  const Facts facts = scan(file.bytes);
  const Doc doc = classify(file.bytes, facts);
  if (doc == Doc::empty)
    return refuse(kind, file, "is empty");

  if (shorthand == "spdx") {
    // cosign stores the text as a JSON string: SPDX tag-value, or an SPDX JSON document.
    if (doc == Doc::spdx || (doc == Doc::not_json && looks_like_spdx_tag_value(file.bytes)))
      return MadePredicate{go_json_string(file.bytes), {}};
    if (doc == Doc::not_json)
      return refuse(kind, file, "is not an SPDX document (no SPDXVersion: line, and not JSON)");
    return mismatch(kind, file, doc, facts, "an SPDX document");
  }
  if (doc == Doc::not_json)
    return refuse(kind, file, "is not JSON: " + facts.error);
  if (shorthand == "vuln")
    return vuln_predicate(kind, file, doc, facts);
  for (const Expectation& e : kExpectations)
    if (shorthand == e.shorthand) {
      if (doc != e.doc)
        return mismatch(kind, file, doc, facts, e.expected);
      return MadePredicate{compact(file.bytes), {}};
    }
  // A predicate type cosign has no shorthand for: any JSON object, as cosign's map decoding.
  if (facts.root != json::value_t::object)
    return mismatch(kind, file, doc, facts, "a JSON object");
  return MadePredicate{compact(file.bytes), {}};
}

std::string describe_document(std::string_view bytes) {
  const Facts facts = scan(bytes);
  return describe(classify(bytes, facts), facts);
}

} // namespace isign::cosign
