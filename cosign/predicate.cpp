// Predicates (docs/formats.md sections 13 and 14): made from a file as cosign attest --type makes
// them, and read for the gates. A scanner report can be tens of megabytes: it is checked with one
// SAX pass that keeps only the few values classification needs, and copied once, compacted, into
// the predicate.
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

namespace isign::cosign {

using nlohmann::json;

namespace {

// What a document is, as far as making and describing predicates goes.
enum class Doc {
  empty,
  not_json,
  scalar,
  array,
  object,
  trivy,
  grype,
  cosign_vuln,
  cyclonedx,
  spdx,
  slsa02,
  slsa1,
  openvex,
  link,
  signed_metadata,
  statement,
  envelope,
};

// The statement embeds the predicate at depth 2 and a wrapped report at depth 4; the verifier
// parses statements with common::kMaxJsonDepth, so a file may nest only this deep.
constexpr std::size_t kMaxFileDepth = common::kMaxJsonDepth - 3;

// The string values classification and wrapping read, by path ("a" or "a.b"; objects only).
const std::set<std::string, std::less<>> kTrackedPaths = {
    "CreatedAt",
    "bomFormat",
    "spdxVersion",
    "_type",
    "@context",
    "$schema",
    "Trivy.Version",
    "descriptor.name",
    "descriptor.version",
    "descriptor.timestamp",
    "metadata.scanStartedOn",
    "metadata.scanFinishedOn",
    "scanner.uri",
    "signed._type",
};

// What one pass over a file found: whether it is strict JSON (as common::parse_strict_json
// judges it), the root's type, each top-level key's type and the tracked values.
struct Facts {
  bool parsed = false;
  std::string error; // why it is not JSON
  json::value_t root = json::value_t::discarded;
  std::map<std::string, json::value_t, std::less<>> top;
  std::map<std::string, json::value_t, std::less<>> types;
  std::map<std::string, std::string, std::less<>> strings;

  bool has(std::string_view key, json::value_t type) const {
    auto it = top.find(key);
    return it != top.end() && it->second == type;
  }
  bool has(std::string_view key) const { return top.find(key) != top.end(); }
  // The tracked string at path, or nullptr when absent or not a string.
  const std::string* string_at(std::string_view path) const {
    auto it = strings.find(path);
    return it == strings.end() ? nullptr : &it->second;
  }
  bool present(std::string_view path) const { return types.find(path) != types.end(); }
};

bool is_number(json::value_t t) {
  return t == json::value_t::number_integer || t == json::value_t::number_unsigned ||
         t == json::value_t::number_float;
}

// Validates without building a DOM: memory stays the open containers' keys (for the duplicate
// check) and the tracked values, whatever the file's size.
class Scanner final : public nlohmann::json_sax<json> {
public:
  explicit Scanner(Facts& facts) : facts_(facts) {}

  bool null() override { return value(json::value_t::null, nullptr); }
  bool boolean(bool) override { return value(json::value_t::boolean, nullptr); }
  bool number_integer(number_integer_t) override {
    return value(json::value_t::number_integer, nullptr);
  }
  bool number_unsigned(number_unsigned_t) override {
    return value(json::value_t::number_unsigned, nullptr);
  }
  bool number_float(number_float_t, const string_t&) override {
    return value(json::value_t::number_float, nullptr);
  }
  bool string(string_t& s) override { return value(json::value_t::string, &s); }
  bool binary(binary_t&) override {
    facts_.error = "binary values are not JSON";
    return false;
  }
  bool start_object(std::size_t) override {
    return value(json::value_t::object, nullptr) && open(true);
  }
  bool key(string_t& k) override {
    Frame& frame = stack_.back();
    if (!frame.keys.insert(k).second) {
      facts_.error = "duplicate key " + common::quote_for_message(k);
      return false;
    }
    frame.key = std::move(k);
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override {
    return value(json::value_t::array, nullptr) && open(false);
  }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    facts_.error = common::json_parse_error_message(e);
    return false;
  }

private:
  struct Frame {
    bool object;
    std::set<std::string> keys;
    std::string key;
  };

  bool value(json::value_t type, const std::string* s) {
    if (stack_.empty()) {
      facts_.root = type;
      return true;
    }
    if (stack_.size() > 2 || !stack_[0].object)
      return true;
    std::string path = stack_[0].key;
    if (stack_.size() == 1) {
      facts_.top[path] = type;
    } else {
      if (!stack_[1].object)
        return true;
      path += "." + stack_[1].key;
    }
    if (kTrackedPaths.find(path) != kTrackedPaths.end()) {
      facts_.types[path] = type;
      if (s)
        facts_.strings[path] = *s;
    }
    return true;
  }
  bool open(bool object) {
    if (stack_.size() >= kMaxFileDepth) {
      facts_.error = "nested more than " + std::to_string(kMaxFileDepth) + " levels deep";
      return false;
    }
    stack_.push_back(Frame{object, {}, {}});
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  Facts& facts_;
  std::vector<Frame> stack_;
};

Facts scan(std::string_view bytes) {
  Facts facts;
  // The same refusals as common::parse_strict_json, ahead of nlohmann (which skips a byte-order
  // mark and stops at a NUL byte).
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF") {
    facts.error = "starts with a byte-order mark";
    return facts;
  }
  if (bytes.find('\0') != std::string_view::npos) {
    facts.error = "contains a NUL byte";
    return facts;
  }
  Scanner scanner(facts);
  try {
    facts.parsed =
        json::sax_parse(bytes.begin(), bytes.end(), &scanner, json::input_format_t::json, true);
  } catch (const std::exception& e) {
    // A number beyond double range throws out_of_range from inside the parser.
    facts.error = e.what();
    facts.parsed = false;
  }
  if (!facts.parsed && facts.error.empty())
    facts.error = "not valid JSON";
  return facts;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

Doc classify(std::string_view bytes, const Facts& f) {
  if (bytes.empty())
    return Doc::empty;
  if (!f.parsed)
    return Doc::not_json;
  if (f.root == json::value_t::array)
    return Doc::array;
  if (f.root != json::value_t::object)
    return Doc::scalar;
  using T = json::value_t;
  const std::string* type = f.string_at("_type");
  // Wrappers of a predicate first: given whole, they are the most common mistake.
  if (f.has("payloadType") && f.has("payload") && f.has("signatures"))
    return Doc::envelope;
  if (type && starts_with(*type, "https://in-toto.io/Statement/"))
    return Doc::statement;
  if (f.has("signed", T::object) && f.has("signatures"))
    return Doc::signed_metadata;
  if (f.has("scanner", T::object) && f.has("metadata", T::object))
    return Doc::cosign_vuln;
  if (f.has("SchemaVersion") && is_number(f.top.at("SchemaVersion")) &&
      (f.has("Results") || f.has("ArtifactName") || f.has("ArtifactType") || f.has("CreatedAt")))
    return Doc::trivy;
  if (f.has("matches", T::array) && (f.has("descriptor", T::object) || f.has("source")))
    return Doc::grype;
  const std::string* bom_format = f.string_at("bomFormat");
  const std::string* schema = f.string_at("$schema");
  if ((bom_format && *bom_format == "CycloneDX") ||
      (!bom_format && schema && schema->find("cyclonedx.org") != std::string::npos))
    return Doc::cyclonedx;
  const std::string* context = f.string_at("@context");
  const std::string* spdx_version = f.string_at("spdxVersion");
  // SPDX 2 JSON names its version; SPDX 3 is JSON-LD with spdx.org's context.
  if ((spdx_version && starts_with(*spdx_version, "SPDX-")) ||
      (context && context->find("spdx.org/rdf/") != std::string::npos))
    return Doc::spdx;
  if (context && starts_with(*context, "https://openvex.dev/ns"))
    return Doc::openvex;
  if (f.has("buildDefinition", T::object) && f.has("runDetails", T::object))
    return Doc::slsa1;
  if (f.has("builder", T::object) && f.has("buildType"))
    return Doc::slsa02;
  if ((type && *type == "link") ||
      (f.has("name") && f.has("command") && (f.has("materials") || f.has("products"))))
    return Doc::link;
  return Doc::object;
}

std::string describe(Doc doc, const Facts& f) {
  switch (doc) {
  case Doc::empty:
    return "an empty file";
  case Doc::not_json:
    return "not JSON";
  case Doc::scalar:
    switch (f.root) {
    case json::value_t::string:
      return "a JSON string";
    case json::value_t::boolean:
      return "a JSON boolean";
    case json::value_t::null:
      return "JSON null";
    default:
      return "a JSON number";
    }
  case Doc::array:
    return "a JSON array";
  case Doc::object:
    return "a JSON object";
  case Doc::trivy:
    return "a Trivy JSON report";
  case Doc::grype:
    return "a Grype JSON report";
  case Doc::cosign_vuln:
    return "a cosign-vuln predicate";
  case Doc::cyclonedx:
    return "a CycloneDX SBOM";
  case Doc::spdx:
    return "an SPDX JSON document";
  case Doc::slsa02:
    return "SLSA provenance v0.2";
  case Doc::slsa1:
    return "SLSA provenance v1";
  case Doc::openvex:
    return "an OpenVEX document";
  case Doc::link:
    return "an in-toto link";
  case Doc::signed_metadata: {
    const std::string* type = f.string_at("signed._type");
    return type && *type == "link" ? "a signed in-toto link file"
                                   : "a signed in-toto metadata file";
  }
  case Doc::statement:
    return "an in-toto statement";
  case Doc::envelope:
    return "a DSSE envelope";
  }
  return "a JSON object";
}

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

std::string upper(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// --- readers over a verified predicate -----------------------------------------------------

common::Error broken(const std::string& what) {
  return common::make_error(common::ErrorKind::verification, what);
}

common::Error wrong_type(const std::string& path, const json& v, const char* want) {
  return broken(path + " is " + common::json_type_name(v) + ", not " + want);
}

// v[key] when v is an object holding it; nullptr otherwise.
const json* member(const json& v, const char* key) {
  if (!v.is_object())
    return nullptr;
  auto it = v.find(key);
  return it == v.end() ? nullptr : &*it;
}

// The string at v[key]: "" when absent (or null, which Go writes for an unset field); a wrong
// type is an error naming path.key.
common::Result<std::string> optional_string(const json& v, const std::string& path,
                                            const char* key) {
  const json* m = member(v, key);
  if (!m || m->is_null())
    return std::string();
  if (!m->is_string())
    return wrong_type(path + "." + key, *m, "a string");
  return m->get<std::string>();
}

// The object at v[key]: nullptr when absent or null; error when of another type.
common::Result<const json*> optional_object(const json& v, const std::string& path,
                                            const char* key) {
  const json* m = member(v, key);
  if (!m || m->is_null())
    return static_cast<const json*>(nullptr);
  if (!m->is_object())
    return wrong_type(path + "." + key, *m, "an object");
  return m;
}

// The array at v[key]: nullptr when absent or null (Go's nil slice); error otherwise.
common::Result<const json*> optional_array(const json& v, const std::string& path,
                                           const char* key) {
  const json* m = member(v, key);
  if (!m || m->is_null())
    return static_cast<const json*>(nullptr);
  if (!m->is_array())
    return wrong_type(path + "." + key, *m, "an array");
  return m;
}

common::Result<std::optional<common::TimePoint>>
optional_time(const json& v, const std::string& path, const char* key) {
  auto text = optional_string(v, path, key);
  if (!text)
    return std::move(text).error();
  if (text->empty())
    return std::optional<common::TimePoint>();
  auto t = common::parse_rfc3339(*text);
  if (!t)
    return broken(path + "." + key + ": " + t.error().message());
  return std::optional<common::TimePoint>(*t);
}

std::string indexed(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

common::Result<void> read_trivy(const json& report, const std::string& path,
                                std::vector<Finding>& out) {
  auto results = optional_array(report, path, "Results");
  ISIGN_TRY(results);
  if (!*results)
    return {};
  for (std::size_t i = 0; i < (*results)->size(); ++i) {
    const json& result = (**results)[i];
    const std::string rpath = indexed(path + ".Results", i);
    if (!result.is_object())
      return wrong_type(rpath, result, "an object");
    auto vulns = optional_array(result, rpath, "Vulnerabilities");
    ISIGN_TRY(vulns);
    if (!*vulns)
      continue;
    for (std::size_t j = 0; j < (*vulns)->size(); ++j) {
      const json& v = (**vulns)[j];
      const std::string vpath = indexed(rpath + ".Vulnerabilities", j);
      if (!v.is_object())
        return wrong_type(vpath, v, "an object");
      Finding finding;
      const json* id = member(v, "VulnerabilityID");
      if (!id)
        return broken(vpath + " has no VulnerabilityID");
      if (!id->is_string())
        return wrong_type(vpath + ".VulnerabilityID", *id, "a string");
      finding.id = id->get<std::string>();
      auto severity = optional_string(v, vpath, "Severity");
      auto package = optional_string(v, vpath, "PkgName");
      auto version = optional_string(v, vpath, "InstalledVersion");
      ISIGN_TRY(severity);
      ISIGN_TRY(package);
      ISIGN_TRY(version);
      finding.severity = severity->empty() ? "UNKNOWN" : upper(*severity);
      finding.package = std::move(*package);
      finding.version = std::move(*version);
      out.push_back(std::move(finding));
    }
  }
  return {};
}

common::Result<void> read_grype(const json& report, const std::string& path,
                                std::vector<Finding>& out) {
  auto matches = optional_array(report, path, "matches");
  ISIGN_TRY(matches);
  if (!*matches)
    return {};
  for (std::size_t i = 0; i < (*matches)->size(); ++i) {
    const json& match = (**matches)[i];
    const std::string mpath = indexed(path + ".matches", i);
    if (!match.is_object())
      return wrong_type(mpath, match, "an object");
    auto vulnerability = optional_object(match, mpath, "vulnerability");
    ISIGN_TRY(vulnerability);
    if (!*vulnerability)
      return broken(mpath + " has no vulnerability");
    const std::string vpath = mpath + ".vulnerability";
    Finding finding;
    const json* id = member(**vulnerability, "id");
    if (!id)
      return broken(vpath + " has no id");
    if (!id->is_string())
      return wrong_type(vpath + ".id", *id, "a string");
    finding.id = id->get<std::string>();
    auto severity = optional_string(**vulnerability, vpath, "severity");
    ISIGN_TRY(severity);
    finding.severity = severity->empty() ? "UNKNOWN" : upper(*severity);
    auto related = optional_array(match, mpath, "relatedVulnerabilities");
    ISIGN_TRY(related);
    if (*related) {
      for (std::size_t j = 0; j < (*related)->size(); ++j) {
        const json& r = (**related)[j];
        const std::string rpath = indexed(mpath + ".relatedVulnerabilities", j);
        if (!r.is_object())
          return wrong_type(rpath, r, "an object");
        auto alias = optional_string(r, rpath, "id");
        ISIGN_TRY(alias);
        if (!alias->empty() && *alias != finding.id &&
            std::find(finding.aliases.begin(), finding.aliases.end(), *alias) ==
                finding.aliases.end())
          finding.aliases.push_back(std::move(*alias));
      }
    }
    auto artifact = optional_object(match, mpath, "artifact");
    ISIGN_TRY(artifact);
    if (*artifact) {
      auto name = optional_string(**artifact, mpath + ".artifact", "name");
      auto version = optional_string(**artifact, mpath + ".artifact", "version");
      ISIGN_TRY(name);
      ISIGN_TRY(version);
      finding.package = std::move(*name);
      finding.version = std::move(*version);
    }
    out.push_back(std::move(finding));
  }
  return {};
}

// in-toto vulns v0.2: result[] {id, severity: [{method, score}]}; the first score that is a
// severity word (not a number) is the severity.
common::Result<void> read_in_toto_vulns(const json& result, const std::string& path,
                                        std::vector<Finding>& out) {
  for (std::size_t i = 0; i < result.size(); ++i) {
    const json& entry = result[i];
    const std::string epath = indexed(path, i);
    if (!entry.is_object())
      return wrong_type(epath, entry, "an object");
    Finding finding;
    const json* id = member(entry, "id");
    if (!id)
      return broken(epath + " has no id");
    if (!id->is_string())
      return wrong_type(epath + ".id", *id, "a string");
    finding.id = id->get<std::string>();
    finding.severity = "UNKNOWN";
    auto severities = optional_array(entry, epath, "severity");
    ISIGN_TRY(severities);
    if (*severities) {
      for (std::size_t j = 0; j < (*severities)->size(); ++j) {
        const json& s = (**severities)[j];
        const std::string spath = indexed(epath + ".severity", j);
        if (!s.is_object())
          return wrong_type(spath, s, "an object");
        auto score = optional_string(s, spath, "score");
        ISIGN_TRY(score);
        const std::string word = upper(*score);
        static const std::set<std::string, std::less<>> kWords = {
            "UNKNOWN", "NEGLIGIBLE", "LOW", "MEDIUM", "HIGH", "CRITICAL"};
        if (kWords.count(word) != 0) {
          finding.severity = word;
          break;
        }
      }
    }
    out.push_back(std::move(finding));
  }
  return {};
}

// SPDX tag-value text's "Created: <time>" line.
std::optional<std::string_view> tag_value_created(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos)
      end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (starts_with(line, "Created:")) {
      line.remove_prefix(8);
      while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
        line.remove_prefix(1);
      while (!line.empty() && (line.back() == ' ' || line.back() == '\t'))
        line.remove_suffix(1);
      return line;
    }
    pos = end + 1;
  }
  return std::nullopt;
}

common::Result<std::optional<common::TimePoint>> spdx_created(const json& doc,
                                                              const std::string& path) {
  if (!doc.is_object())
    return wrong_type(path, doc, "an object");
  auto info = optional_object(doc, path, "creationInfo");
  ISIGN_TRY(info);
  if (*info)
    return optional_time(**info, path + ".creationInfo", "created");
  // SPDX 3 JSON-LD: the CreationInfo element of @graph.
  auto graph = optional_array(doc, path, "@graph");
  ISIGN_TRY(graph);
  if (*graph)
    for (std::size_t i = 0; i < (*graph)->size(); ++i) {
      const json& element = (**graph)[i];
      const json* type = member(element, "type");
      if (type && type->is_string() && *type == "CreationInfo")
        return optional_time(element, indexed(path + ".@graph", i), "created");
    }
  return std::optional<common::TimePoint>();
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

common::Result<VulnFacts> read_vuln_predicate(std::string_view predicate_type,
                                              const nlohmann::json& predicate) {
  if (!predicate.is_object())
    return wrong_type("the predicate", predicate, "an object");
  VulnFacts facts;
  auto scanner = optional_object(predicate, "predicate", "scanner");
  ISIGN_TRY(scanner);
  auto metadata = optional_object(predicate, "predicate", "metadata");
  ISIGN_TRY(metadata);
  std::string uri;
  if (*scanner) {
    auto u = optional_string(**scanner, "scanner", "uri");
    auto v = optional_string(**scanner, "scanner", "version");
    ISIGN_TRY(u);
    ISIGN_TRY(v);
    uri = std::move(*u);
    facts.scanner_version = std::move(*v);
  }
  if (*metadata) {
    auto finished = optional_time(**metadata, "metadata", "scanFinishedOn");
    ISIGN_TRY(finished);
    facts.scan_finished = *finished;
  }

  facts.report_format = "unknown";
  const json* result = *scanner ? member(**scanner, "result") : nullptr;
  if (predicate_type == kInTotoVulnsPredicateType) {
    if (result && !result->is_null()) {
      if (!result->is_array())
        return wrong_type("scanner.result", *result, "an array");
      facts.report_format = "in-toto vulns v0.2";
      ISIGN_TRY(read_in_toto_vulns(*result, "scanner.result", facts.findings));
    }
  } else if (result && result->is_object()) {
    // The report is told by its shape, as describe_document tells files.
    if (result->contains("SchemaVersion") || result->contains("Results")) {
      facts.report_format = "trivy";
      ISIGN_TRY(read_trivy(*result, "scanner.result", facts.findings));
    } else if (result->contains("matches")) {
      facts.report_format = "grype";
      ISIGN_TRY(read_grype(*result, "scanner.result", facts.findings));
    }
  }

  if (uri.find("aquasecurity/trivy") != std::string::npos)
    facts.scanner = "trivy";
  else if (uri.find("anchore/grype") != std::string::npos)
    facts.scanner = "grype";
  else if (facts.report_format == "trivy" || facts.report_format == "grype")
    facts.scanner = facts.report_format;
  else
    facts.scanner = uri;
  return facts;
}

common::Result<std::optional<common::TimePoint>> sbom_created(std::string_view predicate_type,
                                                              const nlohmann::json& predicate) {
  if (predicate_type == kCycloneDxPredicateType) {
    if (!predicate.is_object())
      return wrong_type("the predicate", predicate, "an object");
    auto metadata = optional_object(predicate, "predicate", "metadata");
    ISIGN_TRY(metadata);
    if (!*metadata)
      return std::optional<common::TimePoint>();
    return optional_time(**metadata, "metadata", "timestamp");
  }
  if (predicate_type != kSpdxPredicateType)
    return std::optional<common::TimePoint>();
  if (!predicate.is_string())
    return spdx_created(predicate, "the predicate");
  // The spdx shorthand's predicate: the document's text, JSON or tag-value.
  const auto& text = predicate.get_ref<const std::string&>();
  if (auto doc = common::parse_strict_json(text); doc)
    return spdx_created(*doc, "the predicate's SPDX document");
  auto created = tag_value_created(text);
  if (!created)
    return std::optional<common::TimePoint>();
  auto t = common::parse_rfc3339(*created);
  if (!t)
    return broken("the predicate's SPDX Created: " + t.error().message());
  return std::optional<common::TimePoint>(*t);
}

common::Result<SlsaFacts> read_slsa(std::string_view predicate_type,
                                    const nlohmann::json& predicate) {
  if (!predicate.is_object())
    return wrong_type("the predicate", predicate, "an object");
  SlsaFacts facts;
  auto add_source = [&facts](std::string uri) {
    if (!uri.empty() && std::find(facts.source_uris.begin(), facts.source_uris.end(), uri) ==
                            facts.source_uris.end())
      facts.source_uris.push_back(std::move(uri));
  };
  // Each entry's uri of a list of SLSA resource descriptors (materials, resolvedDependencies).
  auto add_uris = [&add_source](const json& parent, const std::string& path,
                                const char* key) -> common::Result<void> {
    auto list = optional_array(parent, path, key);
    ISIGN_TRY(list);
    if (!*list)
      return {};
    for (std::size_t i = 0; i < (*list)->size(); ++i) {
      const json& entry = (**list)[i];
      const std::string epath = indexed(path + "." + key, i);
      if (!entry.is_object())
        return wrong_type(epath, entry, "an object");
      auto uri = optional_string(entry, epath, "uri");
      ISIGN_TRY(uri);
      add_source(std::move(*uri));
    }
    return {};
  };
  auto builder_id = [](const json* builder,
                       const std::string& path) -> common::Result<std::string> {
    if (!builder)
      return broken(path + " is missing");
    const json* id = member(*builder, "id");
    if (!id)
      return broken(path + ".id is missing");
    if (!id->is_string())
      return wrong_type(path + ".id", *id, "a string");
    return id->get<std::string>();
  };

  if (predicate_type == kSlsa02PredicateType) {
    auto builder = optional_object(predicate, "predicate", "builder");
    ISIGN_TRY(builder);
    auto id = builder_id(*builder, "builder");
    ISIGN_TRY(id);
    facts.builder_id = std::move(*id);
    auto invocation = optional_object(predicate, "predicate", "invocation");
    ISIGN_TRY(invocation);
    if (*invocation) {
      auto config = optional_object(**invocation, "invocation", "configSource");
      ISIGN_TRY(config);
      if (*config) {
        auto uri = optional_string(**config, "invocation.configSource", "uri");
        ISIGN_TRY(uri);
        add_source(std::move(*uri));
      }
    }
    ISIGN_TRY(add_uris(predicate, "predicate", "materials"));
    return facts;
  }
  if (predicate_type == kSlsa1PredicateType) {
    auto run = optional_object(predicate, "predicate", "runDetails");
    ISIGN_TRY(run);
    const json* builder = nullptr;
    if (*run) {
      auto b = optional_object(**run, "runDetails", "builder");
      ISIGN_TRY(b);
      builder = *b;
    }
    auto id = builder_id(builder, "runDetails.builder");
    ISIGN_TRY(id);
    facts.builder_id = std::move(*id);
    auto definition = optional_object(predicate, "predicate", "buildDefinition");
    ISIGN_TRY(definition);
    if (*definition)
      ISIGN_TRY(add_uris(**definition, "buildDefinition", "resolvedDependencies"));
    return facts;
  }
  return broken("predicate type " + common::quote_for_message(predicate_type) +
                " is not SLSA provenance (" + std::string(kSlsa02PredicateType) + " or " +
                std::string(kSlsa1PredicateType) + ")");
}

} // namespace isign::cosign
