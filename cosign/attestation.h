// cosign attest's formats (docs/formats.md sections 8, 9 and 13): the in-toto statement v0.1 it
// signs (subject named by the repository), the DSSE envelope stored as an .att layer (both
// shapes cosign has written), and the statement read back with its predicate for gates.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "cosign/bundle.h"

namespace isign::cosign {

// The statement cosign attest signs, one line:
//   {"_type":"https://in-toto.io/Statement/v0.1","subject":[{"name":NAME,"digest":{"sha256":HEX}}],
//    "predicateType":TYPE,"predicate":PREDICATE}
// predicate_json is embedded as it is (make_predicate's compact JSON). annotations (attest -a),
// when there are any, follow the digest as the subject's "annotations" (signed, and read by
// cosign's claim check as for a v1 subject). Usage error when manifest_digest is not
// "sha256:<64 hex>" or name or predicate_type is empty.
common::Result<std::string> make_attestation_statement(std::string_view name,
                                                       std::string_view manifest_digest,
                                                       std::string_view predicate_type,
                                                       std::string_view predicate_json,
                                                       const Annotations& annotations = {});

// An .att layer's blob: a DSSE envelope in cosign v3's key order or v2's (with an empty keyid),
// payloadType the in-toto type, exactly one signature. Verification error naming the rule.
common::Result<Envelope> parse_envelope_document(std::string_view bytes);

// A statement with its predicate: what gates read, once its envelope verified.
struct AttestationStatement {
  Statement statement;
  nlohmann::json predicate; // null when the statement has none
};

// parse_statement's rules, keeping the predicate (any JSON object; cosign's spdx shorthand
// makes it a string, which is kept too).
common::Result<AttestationStatement> parse_attestation_statement(std::string_view bytes);

} // namespace isign::cosign
