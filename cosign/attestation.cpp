// cosign attest's formats: the statement v0.1 it signs, the .att layer's envelope, a statement
// read back with its predicate (docs/formats.md sections 9 and 13).
#include "cosign/attestation.h"

#include "common/digest.h"
#include "common/json.h"
#include "cosign/json_rules.h"
#include "cosign/statement_json.h"

namespace isign::cosign {

using common::ErrorKind;
using common::make_error;
using common::quote_for_message;
using common::Result;
using detail::broken;
using nlohmann::json;

Result<AttestationStatement> parse_attestation_statement(std::string_view bytes) {
  auto doc = detail::statement_json(bytes);
  ISIGN_TRY(doc);
  auto statement = detail::statement_rules(*doc);
  ISIGN_TRY(statement);
  AttestationStatement out{std::move(*statement), json()};
  if (auto p = doc->find("predicate"); p != doc->end())
    out.predicate = std::move(*p);
  return out;
}

Result<std::string> make_attestation_statement(std::string_view name,
                                               std::string_view manifest_digest,
                                               std::string_view predicate_type,
                                               std::string_view predicate_json,
                                               const Annotations& annotations) {
  if (!common::validate_sha256_digest(manifest_digest))
    return make_error(ErrorKind::usage,
                      "not a sha256 manifest digest: " + quote_for_message(manifest_digest));
  if (name.empty() || predicate_type.empty() || predicate_json.empty())
    return make_error(ErrorKind::usage,
                      "an attestation statement needs a repository, a type and a predicate");
  std::string out;
  out.reserve(predicate_json.size() + 256 + name.size() + predicate_type.size());
  out += "{\"_type\":\"";
  out += kStatementTypeV01;
  out += "\",\"subject\":[{\"name\":" + go_json_string(name) + ",\"digest\":{\"sha256\":\"" +
         std::string(manifest_digest.substr(7)) + "\"}";
  if (!annotations.empty()) {
    out += ",\"annotations\":{";
    bool first = true;
    for (const auto& [key, value] : annotations) {
      out += (first ? "" : ",") + go_json_string(key) + ":" + go_json_string(value);
      first = false;
    }
    out += "}";
  }
  out += "}],\"predicateType\":" + go_json_string(predicate_type) + ",\"predicate\":";
  out += predicate_json;
  out += "}";
  return out;
}

Result<Envelope> parse_envelope_document(std::string_view bytes) {
  auto doc = common::parse_strict_json(bytes);
  if (!doc)
    return broken("the DSSE envelope is not valid JSON: " + doc.error().message());
  return detail::envelope_rules(*doc);
}

} // namespace isign::cosign
