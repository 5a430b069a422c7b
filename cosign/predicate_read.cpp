// Reading a verified predicate for the gates (docs/formats.md section 14): findings and scan
// time of a vuln predicate (a Trivy or Grype report inside, or in-toto vulns), an SBOM's creation
// time, SLSA provenance's builder and sources. Strict about the types of fields present.
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
    if (line.rfind("Created:", 0) == 0) {
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
