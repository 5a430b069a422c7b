#include "cosign/bundle.h"

#include <initializer_list>
#include <nlohmann/json.hpp>

#include "common/digest.h"
#include "common/encoding.h"
#include "common/json.h"
#include "cosign/json_rules.h"
#include "cosign/predicate.h"
#include "cosign/statement_json.h"

namespace isign::cosign {

using common::ErrorKind;
using common::json_type_name;
using common::make_error;
using common::quote_for_message;
using common::Result;
using detail::broken;
using detail::known_keys;
using detail::string_at;
using nlohmann::json;

namespace {

// protojson's bytes: standard or URL-safe base64, padded or not (one alphabet per value).
Result<std::string> proto_bytes(const json& object, std::string_view where, const char* key) {
  auto it = object.find(key);
  if (it != object.end() && it->is_string()) {
    // Standard padded base64 (what cosign and isign write) is decoded in place: payloads run to
    // tens of MB.
    const auto& text = it->get_ref<const std::string&>();
    if (text.size() % 4 == 0 && text.find_first_of("-_") == std::string::npos)
      if (auto decoded = common::base64_decode(text))
        return std::move(*decoded);
  }
  auto text = string_at(object, where, key);
  ISIGN_TRY(text);
  std::string s = std::move(*text);
  const bool url = s.find_first_of("-_") != std::string::npos;
  if (url && s.find_first_of("+/") != std::string::npos)
    return broken(std::string(where) + "." + key + " mixes two base64 alphabets");
  for (char& c : s)
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  if (s.find('=') == std::string::npos && s.size() % 4 != 0)
    s.append(4 - s.size() % 4, '=');
  auto decoded = common::base64_decode(s);
  if (!decoded)
    return broken(std::string(where) + "." + key + " is not valid base64");
  return std::move(*decoded);
}

Result<StatementSubject> parse_subject(const json& s, const std::string& where) {
  ISIGN_TRY(known_keys(
      s, where,
      {"name", "uri", "digest", "content", "downloadLocation", "mediaType", "annotations"}));
  StatementSubject out;
  if (s.contains("name")) {
    auto name = string_at(s, where, "name");
    ISIGN_TRY(name);
    out.name = std::move(*name);
  }
  auto digest = s.find("digest");
  if (digest == s.end() || !digest->is_object())
    return broken(where + ".digest is missing or not an object");
  for (const auto& [alg, hex] : digest->items()) {
    if (!hex.is_string())
      return broken(where + ".digest." + alg + " is " + json_type_name(hex) + ", not a string");
    out.digest.emplace(alg, hex.get<std::string>());
  }
  if (auto a = s.find("annotations"); a != s.end()) {
    if (!a->is_object())
      return broken(where + ".annotations is " + json_type_name(*a) + ", not an object");
    out.has_annotations = true;
    for (const auto& [key, value] : a->items())
      if (value.is_string())
        out.annotations.emplace(key, value.get<std::string>());
  }
  return out;
}

Result<Envelope> parse_envelope(const json& e) {
  ISIGN_TRY(known_keys(e, "dsseEnvelope", {"payload", "payloadType", "signatures"}));
  Envelope out;
  auto payload = proto_bytes(e, "dsseEnvelope", "payload");
  ISIGN_TRY(payload);
  out.payload = std::move(*payload);
  auto type = string_at(e, "dsseEnvelope", "payloadType");
  ISIGN_TRY(type);
  out.payload_type = std::move(*type);
  if (out.payload_type != kInTotoPayloadType)
    return broken("dsseEnvelope.payloadType is " + quote_for_message(out.payload_type) +
                  ", not \"" + std::string(kInTotoPayloadType) + "\"");
  auto sigs = e.find("signatures");
  if (sigs == e.end() || !sigs->is_array())
    return broken("dsseEnvelope.signatures is missing or not an array");
  // sigstore-go refuses none or several (ErrDSSEInvalidSignatureCount).
  if (sigs->size() != 1)
    return broken("dsseEnvelope holds " + std::to_string(sigs->size()) +
                  " signatures, not exactly one");
  const json& sig = sigs->front();
  ISIGN_TRY(known_keys(sig, "dsseEnvelope.signatures[0]", {"sig", "keyid"}));
  if (sig.contains("keyid") && !sig["keyid"].is_string())
    return broken("dsseEnvelope.signatures[0].keyid is not a string");
  auto der = proto_bytes(sig, "dsseEnvelope.signatures[0]", "sig");
  ISIGN_TRY(der);
  if (der->empty())
    return broken("dsseEnvelope.signatures[0].sig is empty");
  out.signature = std::move(*der);
  return out;
}

Result<MessageSignature> parse_message(const json& m) {
  ISIGN_TRY(known_keys(m, "messageSignature", {"messageDigest", "signature"}));
  MessageSignature out;
  auto md = m.find("messageDigest");
  if (md == m.end())
    return broken("messageSignature is missing the key \"messageDigest\"");
  ISIGN_TRY(known_keys(*md, "messageSignature.messageDigest", {"algorithm", "digest"}));
  auto alg = string_at(*md, "messageSignature.messageDigest", "algorithm");
  ISIGN_TRY(alg);
  out.algorithm = std::move(*alg);
  auto digest = proto_bytes(*md, "messageSignature.messageDigest", "digest");
  ISIGN_TRY(digest);
  out.digest = std::move(*digest);
  auto sig = proto_bytes(m, "messageSignature", "signature");
  ISIGN_TRY(sig);
  if (sig->empty())
    return broken("messageSignature.signature is empty");
  out.signature = std::move(*sig);
  return out;
}

Result<void> parse_material(const json& vm, Bundle& out) {
  ISIGN_TRY(known_keys(vm, "verificationMaterial",
                       {"publicKey", "certificate", "x509CertificateChain", "tlogEntries",
                        "timestampVerificationData"}));
  if (vm.contains("certificate") || vm.contains("x509CertificateChain"))
    return broken("the bundle is signed with a certificate (keyless); isign verifies key-signed "
                  "bundles only");
  auto pk = vm.find("publicKey");
  if (pk == vm.end())
    return broken("verificationMaterial has no publicKey: not a key-signed bundle");
  ISIGN_TRY(known_keys(*pk, "verificationMaterial.publicKey", {"hint"}));
  if (pk->contains("hint")) {
    auto hint = string_at(*pk, "verificationMaterial.publicKey", "hint");
    ISIGN_TRY(hint);
    out.hint = std::move(*hint);
  }
  if (auto t = vm.find("tlogEntries"); t != vm.end()) {
    if (!t->is_array())
      return broken("verificationMaterial.tlogEntries is not an array");
    out.tlog_entries = t->size();
  }
  return {};
}

void append_subject(std::string& out, std::string_view name, std::string_view hex,
                    const Annotations& annotations) {
  out += "{";
  if (!name.empty())
    out += "\"name\":" + go_json_string(name) + ",";
  out += "\"digest\":{\"sha256\":\"" + std::string(hex) + "\"},\"annotations\":{";
  bool first = true;
  for (const auto& [key, value] : annotations) {
    out += (first ? "" : ",") + go_json_string(key) + ":" + go_json_string(value);
    first = false;
  }
  out += "}}";
}

} // namespace

std::string dsse_pae_head(std::string_view payload_type, std::size_t payload_size) {
  std::string out = "DSSEv1 " + std::to_string(payload_type.size()) + " ";
  out += payload_type;
  out += " " + std::to_string(payload_size) + " ";
  return out;
}

std::string dsse_pae(std::string_view payload_type, std::string_view payload) {
  std::string out = "DSSEv1 " + std::to_string(payload_type.size()) + " ";
  out += payload_type;
  out += " " + std::to_string(payload.size()) + " ";
  out += payload;
  return out;
}

Result<std::string> make_sign_statement(std::string_view name, std::string_view manifest_digest,
                                        const Annotations& annotations) {
  if (!common::validate_sha256_digest(manifest_digest))
    return make_error(ErrorKind::usage,
                      "not a sha256 manifest digest: " + quote_for_message(manifest_digest));
  std::string out = "{\"_type\":\"" + std::string(kStatementTypeV1) + "\",\"subject\":[";
  append_subject(out, name, manifest_digest.substr(7), annotations);
  out += "],\"predicateType\":\"" + std::string(kSignPredicateType) + "\",\"predicate\":{}}";
  return out;
}

namespace {

// The statement rules over a parsed document. spdx_string: cosign's spdx shorthand stores the
// document as a JSON string, accepted as a predicate of that type.
Result<Statement> statement_of(const json& j) {
  ISIGN_TRY(known_keys(j, "the statement", {"_type", "subject", "predicateType", "predicate"}));
  Statement out;
  auto type = string_at(j, "the statement", "_type");
  ISIGN_TRY(type);
  out.type = std::move(*type);
  if (out.type != kStatementTypeV1 && out.type != kStatementTypeV01)
    return broken("the statement's _type is " + quote_for_message(out.type) +
                  ", not an in-toto statement v1 or v0.1");
  auto predicate_type = string_at(j, "the statement", "predicateType");
  ISIGN_TRY(predicate_type);
  out.predicate_type = std::move(*predicate_type);
  if (out.predicate_type.empty())
    return broken("the statement's predicateType is empty");
  if (auto p = j.find("predicate"); p != j.end()) {
    // cosign attest --type spdx stores the SPDX text as a string predicate.
    if (!p->is_object() && !(p->is_string() && out.predicate_type == kSpdxPredicateType))
      return broken("the statement's predicate is " + std::string(json_type_name(*p)) +
                    ", not an object");
    out.has_predicate = true;
  }
  auto subjects = j.find("subject");
  if (subjects == j.end() || !subjects->is_array() || subjects->empty())
    return broken("the statement has no subject list");
  for (std::size_t i = 0; i < subjects->size(); ++i) {
    auto s = parse_subject((*subjects)[i], "subject[" + std::to_string(i) + "]");
    ISIGN_TRY(s);
    out.subjects.push_back(std::move(*s));
  }
  return out;
}

Result<json> statement_document(std::string_view bytes) {
  auto doc = common::parse_strict_json(bytes);
  if (!doc)
    return broken("the statement is not valid JSON: " + doc.error().message());
  return doc;
}

} // namespace

namespace detail {

Result<Statement> statement_rules(const json& doc) {
  return statement_of(doc);
}

Result<Envelope> envelope_rules(const json& envelope) {
  return parse_envelope(envelope);
}

Result<json> statement_json(std::string_view bytes) {
  return statement_document(bytes);
}

} // namespace detail

Result<Statement> parse_statement(std::string_view bytes) {
  auto doc = statement_document(bytes);
  ISIGN_TRY(doc);
  return statement_of(*doc);
}

Result<Bundle> parse_bundle(std::string_view bytes) {
  auto doc = common::parse_strict_json(bytes);
  if (!doc)
    return broken("the bundle is not valid JSON: " + doc.error().message());
  const json& j = *doc;
  if (auto k =
          known_keys(j, "the bundle",
                     {"mediaType", "verificationMaterial", "dsseEnvelope", "messageSignature"});
      !k)
    return std::move(k).error();
  Bundle out;
  auto media_type = string_at(j, "the bundle", "mediaType");
  ISIGN_TRY(media_type);
  out.media_type = std::move(*media_type);
  // cosign keeps only bundles of version 0.3 or later and sigstore-go refuses 0.4 and later.
  if (out.media_type != kBundleMediaType && out.media_type != kBundleMediaTypeParam)
    return broken("the bundle's mediaType is " + quote_for_message(out.media_type) + ", not \"" +
                  std::string(kBundleMediaType) + "\"");
  auto vm = j.find("verificationMaterial");
  if (vm == j.end())
    return broken("the bundle has no verificationMaterial");
  ISIGN_TRY(parse_material(*vm, out));
  const bool dsse = j.contains("dsseEnvelope");
  const bool message = j.contains("messageSignature");
  if (dsse == message)
    return broken(dsse ? "the bundle holds both a dsseEnvelope and a messageSignature"
                       : "the bundle holds neither a dsseEnvelope nor a messageSignature");
  if (dsse) {
    auto e = parse_envelope(j["dsseEnvelope"]);
    ISIGN_TRY(e);
    out.envelope = std::move(*e);
  } else {
    auto m = parse_message(j["messageSignature"]);
    ISIGN_TRY(m);
    out.message = std::move(*m);
  }
  return out;
}

std::string make_envelope(std::string_view payload_type, std::string_view payload,
                          std::string_view signature_der) {
  // One allocation: payloads run to tens of MB.
  const std::string tail = "\",\"payloadType\":" + go_json_string(payload_type) +
                           ",\"signatures\":[{\"sig\":\"" + common::base64_encode(signature_der) +
                           "\"}]}";
  std::string out;
  out.reserve(12 + (payload.size() + 2) / 3 * 4 + tail.size());
  out += "{\"payload\":\"";
  common::base64_append(out, payload);
  out += tail;
  return out;
}

namespace {

std::string bundle_head(std::string_view hint) {
  return "{\"mediaType\":\"" + std::string(kBundleMediaType) +
         "\",\"verificationMaterial\":{\"publicKey\":{\"hint\":" + go_json_string(hint) + "}},";
}

} // namespace

std::string make_dsse_bundle(std::string_view hint, std::string_view statement,
                             std::string_view signature_der) {
  std::string out = bundle_head(hint) + "\"dsseEnvelope\":";
  out.reserve(out.size() + (statement.size() + 2) / 3 * 4 + 256);
  out += make_envelope(kInTotoPayloadType, statement, signature_der);
  out += "}";
  return out;
}

std::string make_message_bundle(std::string_view hint, std::string_view algorithm,
                                std::string_view digest_bytes, std::string_view signature_der) {
  return bundle_head(hint) +
         "\"messageSignature\":{\"messageDigest\":{\"algorithm\":" + go_json_string(algorithm) +
         ",\"digest\":\"" + common::base64_encode(digest_bytes) + "\"},\"signature\":\"" +
         common::base64_encode(signature_der) + "\"}}";
}

} // namespace isign::cosign
