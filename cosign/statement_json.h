// Internal to cosign/: the strict rules of the in-toto statement and the DSSE envelope over a
// parsed document (bundle.cpp), shared with cosign attest's formats (attestation.cpp).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "common/result.h"
#include "cosign/bundle.h"

namespace isign::cosign::detail {

// A statement's rules (parse_statement's) over its parsed document.
common::Result<Statement> statement_rules(const nlohmann::json& doc);
// A DSSE envelope's rules (a bundle's dsseEnvelope, an .att layer) over its parsed object.
common::Result<Envelope> envelope_rules(const nlohmann::json& envelope);
// A statement's bytes parsed strictly (verification error "the statement is not valid JSON").
common::Result<nlohmann::json> statement_json(std::string_view bytes);

} // namespace isign::cosign::detail
