// OCI image layout references, as containers/image's oci transport writes them: "oci:DIR",
// "oci:DIR:TAG", and here also "oci:DIR@sha256:<hex>" and "oci:DIR:TAG@sha256:<hex>".
#include <filesystem>
#include <system_error>

#include "registry/reference_rules.h"

namespace isign::registry::detail {

using common::ErrorKind;
using common::make_error;
using common::Result;

Result<Reference> parse_layout_reference(std::string_view text, std::string_view what) {
  auto fail = [&](const std::string& problem) -> Result<Reference> {
    return make_error(ErrorKind::usage,
                      "invalid " + std::string(what) + " " + quoted(text) + ": " + problem);
  };
  Reference ref;
  std::string_view rest = text.substr(kLayoutScheme.size());
  // '@' starts the digest (whose own ':' must not end DIR); then, as containers/image splits it,
  // DIR ends at the first ':', so a directory with ':' in its name cannot be named.
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    std::string_view digest = rest.substr(at + 1);
    if (auto problem = digest_problem(digest); !problem.empty())
      return fail(problem);
    ref.digest = std::string(digest);
    rest = rest.substr(0, at);
  }
  if (auto colon = rest.find(':'); colon != std::string_view::npos) {
    std::string_view tag = rest.substr(colon + 1);
    if (auto problem = tag_problem(tag); !problem.empty())
      return fail(problem);
    ref.tag = std::string(tag);
    rest = rest.substr(0, colon);
  }
  if (rest.empty())
    return fail("the layout directory is missing: write oci:DIR, oci:DIR:TAG or "
                "oci:DIR@sha256:<hex>");
  for (char c : rest)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return fail(shown_char(c) + " is not allowed in a layout directory");
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::absolute(std::filesystem::path(rest), ec);
  if (ec)
    return fail("cannot make the layout directory absolute: " + ec.message());
  std::string name = dir.lexically_normal().string();
  while (name.size() > 1 && name.back() == '/')
    name.pop_back();
  ref.repository.registry = std::string(kLayoutScheme);
  ref.repository.name = std::move(name);
  return ref;
}

} // namespace isign::registry::detail
