// Internal to registry/: the grammar checks that references of both forms share (a registry's
// "repo:tag@digest" in reference.cpp, an OCI layout's "oci:DIR:tag@digest" in
// reference_layout.cpp). Each returns why its input fails, or "" when it is valid.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "registry/reference.h"

namespace isign::registry::detail {

// The input as it goes into a message: control bytes shown as '?', long input cut, so a hostile
// or binary argument cannot break the one-line error. Quotes included.
std::string quoted(std::string_view text);
// One character for a message: "'x'", or "byte 0x09" for control and non-ASCII bytes.
std::string shown_char(char c);
// An OCI tag: [A-Za-z0-9_][A-Za-z0-9._-]{0,127}.
std::string tag_problem(std::string_view tag);
// Only sha256 is accepted: cosign's signature tags and every registry we target use it, and a
// digest we cannot recompute could not be checked against the bytes received.
std::string digest_problem(std::string_view digest);

// text when it starts with kLayoutScheme: "oci:DIR[:TAG][@sha256:<hex>]", DIR made absolute and
// lexically normal. what names the input in the usage error ("reference", "repository").
common::Result<Reference> parse_layout_reference(std::string_view text, std::string_view what);

} // namespace isign::registry::detail
