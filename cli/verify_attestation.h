// What verify-attestation adds to verify's command (cmd_verify.cpp, one command over two modes):
// its gate flags, read into one attestation rule by the policy's parser; a policy narrowed to
// its attestation rules; and cosign verify-attestation's output.
#pragma once

#include <cxxopts.hpp>
#include <string>

#include "verify/batch.h"
#include "verify/image_verifier.h"
#include "verify/policy.h"

namespace isign::cli {

// --type, --max-predicate-size and the gate flags.
void add_gate_options(cxxopts::Options& opts);

// The default rule's attestation rule made of --type and the gate flags over the keys of its
// signed_by requirement (made from --key by verify's flags), which it replaces. kOk, or the exit
// code of the error printed.
int attestation_rule_from_flags(const cxxopts::ParseResult& args, verify::Policy& policy);

// The policy's rules narrowed to their attestation rules (those of --type when given). kOk, or
// the exit code of the error printed.
int attestation_rules_of_policy(const cxxopts::ParseResult& args, verify::Policy& policy);

// What the attestation rules of a target found, for the summary line: "vuln: 2 valid (1 legacy,
// 1 bundle), 1 check passed".
std::string attestation_summary(const verify::TargetResult& r);

// cosign's summary on stderr, then each verified envelope (output "cosign") or statement
// ("text") on stdout, one per line, for a reference whose every target passed.
void print_envelopes(const std::string& input, const verify::RefOutcome& o,
                     const std::string& output, bool from_policy);

} // namespace isign::cli
