// Helpers of the attestation end-to-end tests (test_attest.cpp, test_attest_interop.cpp): small
// scanner reports dated relative to now, running attest and verify-attestation, and reading the
// .att artifact and verify-attestation's envelopes back with the independent image helpers. The
// expected shapes are written out here from docs/formats.md section 13, never taken from isign's
// cosign/ code, so a bug there cannot hide in both the code and the test.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/e2e/bundle_support.h"

namespace isign::testing {

inline constexpr const char* kVulnPredicate = "https://cosign.sigstore.dev/attestation/vuln/v1";
inline constexpr const char* kCycloneDxPredicate = "https://cyclonedx.org/bom";
inline constexpr const char* kDsseLayerType = "application/vnd.dsse.envelope.v1+json";
inline constexpr const char* kStatementV01 = "https://in-toto.io/Statement/v0.1";
inline constexpr std::chrono::hours kDay{24};

// "sha256-<hex>.att": the legacy attestation tag of a manifest digest (docs/formats.md section 13).
inline std::string att_tag_of(const std::string& digest) {
  return "sha256-" + hex_of(digest) + ".att";
}

// Now plus offset in UTC, as strftime's format (RFC 3339 by default; "%Y-%m-%d" for a day).
inline std::string utc_text(std::chrono::seconds offset,
                            const char* format = "%Y-%m-%dT%H:%M:%SZ") {
  const std::time_t t =
      std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + offset);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

inline std::string utc_day(std::chrono::seconds offset) {
  return utc_text(offset, "%Y-%m-%d");
}

// One finding of a hand-made report.
struct ReportFinding {
  std::string id;
  std::string severity; // as the scanner spells it: "CRITICAL" (Trivy), "High" (Grype)
  std::string package;
  std::string version;
};

// A Trivy JSON report (trivy image -f json, schema 2) of findings, created at created (RFC 3339).
inline std::string trivy_report(const std::string& created,
                                const std::vector<ReportFinding>& findings) {
  nlohmann::ordered_json vulns = nlohmann::ordered_json::array();
  for (const auto& f : findings)
    vulns.push_back({{"VulnerabilityID", f.id},
                     {"PkgName", f.package},
                     {"InstalledVersion", f.version},
                     {"Severity", f.severity}});
  nlohmann::ordered_json r = {{"SchemaVersion", 2},
                              {"Trivy", {{"Version", "0.58.1"}}},
                              {"CreatedAt", created},
                              {"ArtifactName", "app"},
                              {"ArtifactType", "container_image"},
                              {"Results",
                               {{{"Target", "app (debian 12.8)"},
                                 {"Class", "os-pkgs"},
                                 {"Type", "debian"},
                                 {"Vulnerabilities", vulns}}}}};
  return r.dump(2);
}

// A Grype JSON report (grype -o json) of findings, made at timestamp (RFC 3339).
inline std::string grype_report(const std::string& timestamp,
                                const std::vector<ReportFinding>& findings) {
  nlohmann::ordered_json matches = nlohmann::ordered_json::array();
  for (const auto& f : findings)
    matches.push_back({{"vulnerability", {{"id", f.id}, {"severity", f.severity}}},
                       {"relatedVulnerabilities", nlohmann::ordered_json::array()},
                       {"artifact", {{"name", f.package}, {"version", f.version}}}});
  nlohmann::ordered_json r = {
      {"matches", matches},
      {"source", nlohmann::ordered_json::object()},
      {"distro", nlohmann::ordered_json::object()},
      {"descriptor", {{"name", "grype"}, {"version", "0.80.0"}, {"timestamp", timestamp}}}};
  return r.dump(2);
}

// isign attest CLIENT-FLAGS --key KEY.key ARGS... against reg with COSIGN_PASSWORD set.
inline RunResult attest(const RegistryFixture& reg, const std::string& key,
                        const std::vector<std::string>& args) {
  RunOptions o;
  o.env = {{"COSIGN_PASSWORD", kKeyPassword}};
  return isign_cmd("attest", with(reg.client_flags(), {"--key", key + ".key"}), args, o);
}

// isign verify-attestation CLIENT-FLAGS --key K.pub... ARGS...
inline RunResult verify_attestation(const RegistryFixture& reg,
                                    const std::vector<std::string>& keys,
                                    const std::vector<std::string>& args) {
  return isign_cmd("verify-attestation", with(reg.client_flags(), key_flags(keys)), args);
}

// A DSSE envelope as verify-attestation prints it or an .att layer holds it, taken apart.
struct Envelope {
  nlohmann::json doc;
  std::string payload_type;
  std::string statement_bytes; // the decoded payload
  nlohmann::json statement;
  std::string signature; // DER
};

inline Envelope envelope_of(const std::string& text) {
  INFO("envelope: " << text);
  Envelope e;
  e.doc = nlohmann::json::parse(text, nullptr, false);
  REQUIRE(e.doc.is_object());
  REQUIRE(e.doc.contains("payload"));
  REQUIRE(e.doc.contains("payloadType"));
  e.payload_type = e.doc["payloadType"];
  auto payload = isign::common::base64_decode(e.doc["payload"].get<std::string>());
  REQUIRE(payload);
  e.statement_bytes = *payload;
  e.statement = nlohmann::json::parse(e.statement_bytes, nullptr, false);
  REQUIRE(e.statement.is_object());
  REQUIRE(e.doc["signatures"].size() == 1);
  auto sig = isign::common::base64_decode(e.doc["signatures"][0]["sig"].get<std::string>());
  REQUIRE(sig);
  e.signature = *sig;
  return e;
}

// verify-attestation --output cosign: one envelope per stdout line.
inline std::vector<Envelope> envelopes_printed(const RunResult& r) {
  std::vector<Envelope> out;
  std::size_t start = 0;
  while (start < r.out.size()) {
    auto end = r.out.find('\n', start);
    if (end == std::string::npos)
      end = r.out.size();
    if (end > start)
      out.push_back(envelope_of(r.out.substr(start, end - start)));
    start = end + 1;
  }
  return out;
}

// The .att artifact of repo@digest: the manifest (parsed; null when 404) and its layer blobs,
// each checked against its descriptor.
struct AttArtifact {
  long status = 0;
  std::string manifest;
  nlohmann::ordered_json doc;
  std::vector<std::string> envelopes;
};

inline AttArtifact att_of(const RegistryEndpoint& ep, const std::string& repo,
                          const std::string& digest) {
  AttArtifact a;
  auto m = get_manifest(ep, repo, att_tag_of(digest));
  a.status = m.status;
  if (m.status != 200)
    return a;
  a.manifest = m.body;
  a.doc = nlohmann::ordered_json::parse(m.body, nullptr, false);
  REQUIRE(a.doc.is_object());
  for (const auto& layer : a.doc["layers"]) {
    auto blob = get_blob(ep, repo, layer["digest"].get<std::string>());
    REQUIRE(blob.status == 200);
    CHECK(isign::common::sha256_digest(blob.body) == layer["digest"]);
    a.envelopes.push_back(blob.body);
  }
  return a;
}

// The predicateType annotations of the referrers listed at sha256-<hex> (bundle attestations and
// bundle signatures alike).
inline std::vector<std::string> referrer_predicate_types(const RegistryEndpoint& ep,
                                                         const std::string& repo,
                                                         const std::string& digest) {
  std::vector<std::string> out;
  const auto index = referrers_index_of(ep, repo, digest);
  for (const auto& e : index["manifests"])
    out.push_back(e["annotations"].value("dev.sigstore.bundle.predicateType", ""));
  return out;
}

// A cosign-layout .att pushed without isign: cosign's config and manifest shape (docs/formats.md
// sections 4 and 13) over the given envelopes, each layer annotated with its predicateType.
inline std::string push_att(const RegistryEndpoint& ep, const std::string& repo,
                            const std::string& digest, const std::vector<std::string>& envelopes,
                            const std::string& predicate_type) {
  std::vector<std::string> diff_ids, layers;
  for (const auto& e : envelopes) {
    push_blob(ep, repo, e);
    diff_ids.push_back(isign::common::sha256_digest(e));
    layers.push_back(R"({"mediaType":")" + std::string(kDsseLayerType) + R"(","size":)" +
                     std::to_string(e.size()) + R"(,"digest":")" + isign::common::sha256_digest(e) +
                     R"(","annotations":{")" + kSigAnnotation + R"(":"","predicateType":")" +
                     predicate_type + R"("}})");
  }
  const std::string config = cosign_config(diff_ids);
  push_blob(ep, repo, config);
  return push_manifest(ep, repo, att_tag_of(digest), cosign_manifest(config, layers),
                       kOciManifestType);
}

} // namespace isign::testing
