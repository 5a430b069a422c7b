#include "cosign/predicate_scan.h"

#include <set>
#include <utility>

namespace isign::cosign::detail {

namespace {

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

} // namespace

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

} // namespace isign::cosign::detail
