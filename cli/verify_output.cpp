#include "cli/verify_output.h"

#include <algorithm>

#include "verify/report.h"

namespace isign::cli {

// How a target is named in messages: "child linux/arm64 (sha256:...)".
std::string target_label(const registry::Target& t) {
  std::string out = verify::role_name(t.role);
  if (t.platform)
    out += " " + t.platform->str();
  return out + " (" + t.digest + ")";
}

// The JSON array cosign prints: the verified payloads, each exactly as signed.
std::string payload_array(const verify::TargetResult& r) {
  std::string out = "[";
  for (const auto& report : r.reports)
    for (auto i : report.valid()) {
      if (out.size() > 1)
        out += ',';
      out += report.signatures[i].payload_bytes;
    }
  return out + "]";
}

std::size_t valid_count(const verify::TargetResult& r) {
  std::size_t n = 0;
  for (const auto& report : r.reports)
    n = std::max(n, report.valid().size());
  return n;
}

std::size_t signature_count(const verify::TargetResult& r) {
  std::size_t n = 0;
  for (const auto& report : r.reports)
    n = std::max(n, report.signatures.size());
  return n;
}

// Where the valid signatures were found, by format: "1 legacy, 1 bundle".
std::string valid_formats(const verify::TargetResult& r) {
  std::size_t legacy = 0, bundle = 0;
  for (const auto& report : r.reports)
    for (auto i : report.valid())
      ++(report.signatures[i].format == cosign::Format::bundle ? bundle : legacy);
  std::string out;
  if (legacy)
    out += std::to_string(legacy) + " legacy";
  if (bundle)
    out += (out.empty() ? "" : ", ") + std::to_string(bundle) + " bundle";
  return out;
}

// The valid bundles whose statement names no repository, by where they were found.
std::vector<std::string> unbound_bundles(const verify::TargetResult& r) {
  std::vector<std::string> out;
  for (const auto& report : r.reports)
    for (auto i : report.valid())
      if (const auto& s = report.signatures[i];
          s.identity_unbound && std::find(out.begin(), out.end(), s.where) == out.end())
        out.push_back(s.where);
  return out;
}

std::vector<std::string> unread_notes(const verify::TargetResult& r) {
  std::vector<std::string> out;
  for (const auto& e : r.unread)
    out.push_back("verified with what could be read; not read: " + e.message());
  return out;
}

} // namespace isign::cli
