#include "registry/reference.h"

#include "registry/reference_rules.h"

#include <algorithm>
#include <cctype>
#include <cstddef>

namespace isign::registry {

using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

// Docker's limits (distribution/reference): a name (registry/path) of at most 255 characters and
// tags of at most 128.
constexpr std::size_t kMaxNameLength = 255;
constexpr std::size_t kMaxTagLength = 128;
constexpr std::size_t kSha256HexLength = 64;

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}

} // namespace

std::string detail::quoted(std::string_view text) {
  constexpr std::size_t kMaxShown = 300;
  std::string out = "'";
  for (std::size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  }
  if (text.size() > kMaxShown)
    out += "...";
  return out + "'";
}

std::string detail::shown_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u < 0x20 || u >= 0x7f) {
    static constexpr char kHex[] = "0123456789abcdef";
    return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 15];
  }
  return std::string("'") + c + "'";
}

namespace {

using detail::quoted;
using detail::shown_char;

// Why component fails docker's path-component grammar
// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*, or "" when it matches.
std::string component_problem(std::string_view component) {
  if (component.empty())
    return "empty path component (a leading, trailing or doubled '/')";
  for (char c : component) {
    if (is_upper(c))
      return "repository must be lowercase";
    if (!is_lower_alnum(c) && c != '.' && c != '_' && c != '-')
      return shown_char(c) + " is not allowed in a repository name (use a-z, 0-9, '.', '_', '-')";
  }
  const std::string bad_separator =
      "repository component '" + std::string(component) +
      "' must start and end with a letter or digit, with single '.', one or two '_', or any "
      "number of '-' between them";
  std::size_t i = 0;
  const std::size_t n = component.size();
  for (;;) {
    if (i == n || !is_lower_alnum(component[i]))
      return bad_separator;
    while (i < n && is_lower_alnum(component[i]))
      ++i;
    if (i == n)
      return "";
    if (component[i] == '.') {
      ++i;
    } else if (component[i] == '_') {
      ++i;
      if (i < n && component[i] == '_')
        ++i;
    } else {
      while (i < n && component[i] == '-')
        ++i;
    }
  }
}

// Why host fails docker's domain grammar (DNS-like labels of letters, digits and inner '-',
// joined by '.', or a bracketed IPv6 address; then an optional :port), or "" when it matches.
std::string host_problem(std::string_view host) {
  if (host.empty())
    return "registry host is empty";
  std::string_view name = host;
  std::string_view port;
  bool has_port = false;
  if (host.front() == '[') {
    auto close = host.find(']');
    if (close == std::string_view::npos)
      return "IPv6 registry address is missing its ']'";
    std::string_view addr = host.substr(1, close - 1);
    if (addr.empty())
      return "IPv6 registry address is empty";
    for (char c : addr)
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':')
        return shown_char(c) + " is not allowed in an IPv6 registry address";
    std::string_view rest = host.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':')
        return "unexpected text after the IPv6 registry address";
      has_port = true;
      port = rest.substr(1);
    }
  } else {
    auto colon = host.find(':');
    if (colon != std::string_view::npos) {
      has_port = true;
      name = host.substr(0, colon);
      port = host.substr(colon + 1);
    }
    if (name.empty())
      return "registry host name is empty";
    std::size_t start = 0;
    for (;;) {
      auto dot = name.find('.', start);
      std::string_view label =
          name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
      if (label.empty())
        return "registry host has an empty label (a leading, trailing or doubled '.')";
      for (char c : label)
        if (!is_alnum(c) && c != '-')
          return shown_char(c) + " is not allowed in a registry host name";
      if (label.front() == '-' || label.back() == '-')
        return "registry host labels must not start or end with '-'";
      if (dot == std::string_view::npos)
        break;
      start = dot + 1;
    }
  }
  if (has_port) {
    if (port.empty())
      return "registry port is empty";
    if (port.size() > 5)
      return "registry port must be a number from 1 to 65535";
    unsigned value = 0;
    for (char c : port) {
      if (!is_digit(c))
        return "registry port must be a number from 1 to 65535";
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535)
      return "registry port must be a number from 1 to 65535";
  }
  return "";
}

} // namespace

std::string detail::tag_problem(std::string_view tag) {
  if (tag.empty())
    return "':' must be followed by a tag";
  if (tag.size() > kMaxTagLength)
    return "tag is " + std::to_string(tag.size()) + " characters long, the limit is " +
           std::to_string(kMaxTagLength);
  if (tag.front() == '.' || tag.front() == '-')
    return "tag must start with a letter, digit or '_'";
  for (char c : tag)
    if (!is_alnum(c) && c != '_' && c != '.' && c != '-')
      return shown_char(c) + " is not allowed in a tag (use A-Z, a-z, 0-9, '_', '.', '-')";
  return "";
}

std::string detail::digest_problem(std::string_view digest) {
  if (digest.empty())
    return "'@' must be followed by a digest (sha256:<64 hex characters>)";
  auto colon = digest.find(':');
  if (colon == std::string_view::npos)
    return "digest must have the form sha256:<64 hex characters>";
  std::string_view algorithm = digest.substr(0, colon);
  std::string_view hex = digest.substr(colon + 1);
  if (algorithm != "sha256")
    return "unsupported digest algorithm '" + std::string(algorithm.substr(0, 40)) +
           "' (only sha256 is supported)";
  for (char c : hex) {
    if (c >= 'A' && c <= 'F')
      return "digest must be lowercase hex";
    if (!std::isxdigit(static_cast<unsigned char>(c)))
      return shown_char(c) + " is not a hex digit in the digest";
  }
  if (hex.size() != kSha256HexLength)
    return "sha256 digest must have 64 hex characters, not " + std::to_string(hex.size());
  return "";
}

namespace {

using detail::digest_problem;
using detail::tag_problem;

std::string_view without_scheme(std::string_view text) {
  for (std::string_view scheme : {"http://", "https://"})
    if (text.substr(0, scheme.size()) == scheme)
      return text.substr(scheme.size());
  return text;
}

// The user-info of text ("user:password@" pasted from a URL), or "" when it has none. In a
// reference the only '@' starts the digest, which never has a '/' after it; with no '/' at all,
// "user:password@host[:port]" is told from "repo:tag@sha256:..." by what follows the '@'.
std::string_view userinfo_of(std::string_view text) {
  std::string_view rest = without_scheme(text);
  if (auto last_slash = rest.rfind('/'); last_slash != std::string_view::npos)
    if (auto at = rest.rfind('@', last_slash); at != std::string_view::npos)
      return rest.substr(0, at + 1);
  auto at = rest.rfind('@');
  if (at == std::string_view::npos)
    return {};
  std::string_view before = rest.substr(0, at), after = rest.substr(at + 1);
  std::string_view algorithm = after.substr(0, after.find(':'));
  bool digest = algorithm == "sha256" || algorithm == "sha384" || algorithm == "sha512";
  if (digest || before.find('/') != std::string_view::npos ||
      before.find(':') == std::string_view::npos || !host_problem(after).empty())
    return {};
  return rest.substr(0, at + 1);
}

// How user-info is shown: the user name when one is given before a ':', never the password (a
// lone token is masked whole).
std::string masked_userinfo(std::string_view userinfo) {
  auto colon = userinfo.find(':');
  if (colon == std::string_view::npos)
    return "***@";
  std::string user = quoted(userinfo.substr(0, std::min<std::size_t>(colon, 64)));
  return user.substr(1, user.size() - 2) + ":***@";
}

std::string credentials_problem(std::string_view userinfo, std::string_view fix) {
  return "it contains credentials ('" + masked_userinfo(userinfo) + "'); " + std::string(fix);
}

constexpr std::string_view kCredentialsFix =
    "use isign login or --registry-username/--registry-password";

// What is wrong with text as a whole before it is split: empty, user-info, a URL scheme, an
// image ID; "" when nothing. A user-info problem is a credentials_problem() (it must not be
// shown with the text around it).
std::string whole_text_problem(std::string_view text, bool* has_credentials) {
  *has_credentials = false;
  if (text.empty())
    return "it is empty";
  if (auto userinfo = userinfo_of(text); !userinfo.empty()) {
    *has_credentials = true;
    return credentials_problem(userinfo, kCredentialsFix);
  }
  for (std::string_view scheme : {"http://", "https://"})
    if (text.substr(0, scheme.size()) == scheme)
      return "remove the '" + std::string(scheme) +
             "' scheme (use --allow-http-registry for a plain HTTP registry)";
  // docker refuses a bare 64-hex name: it is an image ID, not a repository.
  if (text.size() == kSha256HexLength) {
    bool all_hex = true;
    for (char c : text)
      all_hex = all_hex && (is_digit(c) || (c >= 'a' && c <= 'f'));
    if (all_hex)
      return "a 64-character hex string is an image ID, not a repository name";
  }
  return "";
}

// Takes "@digest" and then ":tag" off the end of name into ref; the problem with either, or "".
std::string split_digest_and_tag(std::string_view& name, Reference& ref) {
  if (auto at = name.find('@'); at != std::string_view::npos) {
    std::string_view digest = name.substr(at + 1);
    if (auto problem = digest_problem(digest); !problem.empty())
      return problem;
    ref.digest = std::string(digest);
    name = name.substr(0, at);
  }
  // A tag is a ':' in the last path component; an earlier ':' belongs to host:port.
  auto last_slash = name.rfind('/');
  auto tag_colon = name.find(':', last_slash == std::string_view::npos ? 0 : last_slash + 1);
  if (tag_colon != std::string_view::npos) {
    std::string_view tag = name.substr(tag_colon + 1);
    if (auto problem = tag_problem(tag); !problem.empty())
      return problem;
    ref.tag = std::string(tag);
    name = name.substr(0, tag_colon);
  }
  return "";
}

// Splits name into registry and path by docker's rule: the first component names a registry
// when it has a '.' or ':' or is "localhost"; otherwise the whole name is a Docker Hub
// repository. The problem with the registry or the path's components, or "".
std::string split_registry(std::string_view name, std::string& registry, std::string_view& path) {
  path = name;
  registry = std::string(kDockerHub);
  if (auto slash = name.find('/'); slash != std::string_view::npos) {
    std::string_view first = name.substr(0, slash);
    if (first.find_first_of(".:") != std::string_view::npos || first == "localhost") {
      if (auto problem = host_problem(first); !problem.empty())
        return problem;
      // docker (distribution/reference) and go-containerregistry both take index.docker.io for
      // Docker Hub, but keep registry-1.docker.io as a registry of its own: cosign signs such a
      // reference as written, and so must we.
      registry = first == kDockerHubApiHost ? std::string(first) : canonical_registry_host(first);
      path = name.substr(slash + 1);
    }
  }
  if (path.empty())
    return "the repository name after the registry is missing";
  std::size_t start = 0;
  for (;;) {
    auto slash = path.find('/', start);
    std::string_view component = path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (auto problem = component_problem(component); !problem.empty())
      return problem;
    if (slash == std::string_view::npos)
      return "";
    start = slash + 1;
  }
}

Result<Reference> parse_reference(std::string_view text, std::string_view what) {
  auto fail = [&](const std::string& problem) -> Result<Reference> {
    return make_error(ErrorKind::usage,
                      "invalid " + std::string(what) + " " + quoted(text) + ": " + problem);
  };
  // "oci:" is a scheme, not a registry host "oci" with a port: as in containers/image.
  if (text.substr(0, kLayoutScheme.size()) == kLayoutScheme)
    return detail::parse_layout_reference(text, what);
  bool has_credentials = false;
  if (auto problem = whole_text_problem(text, &has_credentials); !problem.empty()) {
    if (has_credentials) // never quoted: the text holds a password
      return make_error(ErrorKind::usage, "invalid " + std::string(what) + ": " + problem);
    return fail(problem);
  }
  Reference ref;
  std::string_view name = text;
  if (auto problem = split_digest_and_tag(name, ref); !problem.empty())
    return fail(problem);
  if (name.empty())
    return fail("the repository name is missing");
  std::string registry;
  std::string_view path;
  if (auto problem = split_registry(name, registry, path); !problem.empty())
    return fail(problem);
  ref.repository.registry = registry;
  ref.repository.name = std::string(path);
  // Official Docker Hub images live in "library/".
  if (registry == kDockerHub && path.find('/') == std::string_view::npos)
    ref.repository.name = "library/" + ref.repository.name;
  std::size_t total = registry.size() + 1 + ref.repository.name.size();
  if (total > kMaxNameLength)
    return fail("the name is " + std::to_string(total) + " characters long, the limit is " +
                std::to_string(kMaxNameLength));
  return ref;
}

} // namespace

Result<Reference> Reference::parse(std::string_view text) {
  return parse_reference(text, "reference");
}

Result<Repository> Repository::parse(std::string_view text) {
  auto ref = parse_reference(text, "repository");
  ISIGN_TRY(ref);
  if (!ref->tag.empty() || ref->by_digest())
    return make_error(ErrorKind::usage, "invalid repository " + quoted(text) +
                                            ": a repository takes no tag or digest");
  return std::move(ref->repository);
}

std::string canonical_registry_host(std::string_view host) {
  const bool hub =
      std::find(kDockerHubHosts.begin(), kDockerHubHosts.end(), host) != kDockerHubHosts.end();
  return std::string(hub ? kDockerHub : host);
}

std::string Repository::api_host() const {
  return registry == kDockerHub ? std::string(kDockerHubApiHost) : registry;
}

// How cosign names a repository. cosign parses with go-containerregistry's pkg/name, and
// go-containerregistry rewrites the registry "docker.io" to "index.docker.io"
// (pkg/name/registry.go: NewRegistry; DefaultRegistry is "index.docker.io"), adds "library/" to a
// single-component Docker Hub name (pkg/name/repository.go: RepositoryStr), and prints
// Repository.Name() as RegistryStr() + "/" + RepositoryStr(). `cosign triangulate`
// (cmd/cosign/cli/triangulate/triangulate.go) prints dstRef.Name() of the signature tag built on
// that repository, and the simple-signing payload's docker-reference is Image.Repository.Name()
// (sigstore/sigstore pkg/signature/payload/payload.go, Cosign.MarshalJSON). So "ubuntu" is
// printed as "index.docker.io/library/ubuntu" in both places; other registries print as given.
// One difference we keep on purpose: go-containerregistry treats a bare "localhost/x" as the
// Docker Hub repository "localhost/x", docker (and we) treat "localhost" as a registry.
std::string Repository::str() const {
  if (is_layout())
    return registry + name;
  if (registry == kDockerHub)
    return std::string(kDockerHubPrinted) + "/" + name;
  return registry + "/" + name;
}

std::string Reference::identifier() const {
  if (!digest.empty())
    return digest;
  if (!tag.empty())
    return tag;
  return "latest";
}

std::string Reference::str() const {
  std::string out = repository.str();
  if (!tag.empty())
    out += ":" + tag;
  if (!digest.empty())
    out += "@" + digest;
  // go-containerregistry's Tag.Name() includes the default tag, so cosign prints ":latest".
  if (tag.empty() && digest.empty())
    out += ":latest";
  return out;
}

std::string redact_credentials(std::string_view text) {
  std::string_view userinfo = userinfo_of(text);
  if (userinfo.empty())
    return std::string(text);
  auto start = static_cast<std::size_t>(userinfo.data() - text.data());
  return std::string(text.substr(0, start)) + masked_userinfo(userinfo) +
         std::string(text.substr(start + userinfo.size()));
}

Result<std::string> parse_registry_host(std::string_view text) {
  auto fail = [&](const std::string& problem) -> Result<std::string> {
    return make_error(ErrorKind::usage, "invalid registry " + quoted(text) + ": " + problem);
  };
  // docker login accepts URLs ("https://index.docker.io/v1/") and keeps only the host.
  std::string_view host = without_scheme(text);
  if (host.size() != text.size())
    host = host.substr(0, host.find('/'));
  // A registry host never has an '@': everything up to the last one is user-info.
  if (auto rest = without_scheme(text); rest.find('@') != std::string_view::npos)
    return make_error(ErrorKind::usage,
                      "invalid registry: " +
                          credentials_problem(rest.substr(0, rest.rfind('@') + 1),
                                              "give the user name with -u and the password with "
                                              "--password-stdin"));
  if (host.empty())
    return fail("it is empty");
  if (host.find('/') != std::string_view::npos)
    return fail("give only the registry host[:port], without a repository path");
  if (auto problem = host_problem(host); !problem.empty())
    return fail(problem);
  std::string lowered;
  for (char c : host)
    lowered += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // Docker Hub in whatever case it was typed; any other host as given.
  if (std::string canonical = canonical_registry_host(lowered); canonical == kDockerHub)
    return canonical;
  return std::string(host);
}

} // namespace isign::registry
