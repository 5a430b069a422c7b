#include "registry/challenge.h"

#include <cstddef>

namespace isign::registry {

using common::Error;
using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

// A WWW-Authenticate value is a few hundred bytes; anything this large is not a challenge.
constexpr std::size_t kMaxHeaderSize = 16 * 1024;

// RFC 7230 tchar.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
    return true;
  return c != '\0' && std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// RFC 7235 token68 characters (before the trailing '=' padding).
bool is_token68_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

bool is_ctl(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowered(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s)
    out += lower(c);
  return out;
}

class Parser {
public:
  explicit Parser(std::string_view text) : s_(text) {}

  Result<std::vector<Challenge>> parse() {
    std::vector<Challenge> out;
    skip_separators();
    while (!at_end()) {
      auto challenge = parse_challenge();
      ISIGN_TRY(challenge);
      out.push_back(std::move(*challenge));
    }
    if (out.empty())
      return fail("it holds no challenge");
    return out;
  }

private:
  bool at_end() const { return i_ >= s_.size(); }
  char peek() const { return s_[i_]; }

  void skip_ows() {
    while (!at_end() && is_ows(peek()))
      ++i_;
  }
  // RFC 7230 list rule: recipients accept empty elements (", ,") between items.
  void skip_separators() {
    while (!at_end() && (is_ows(peek()) || peek() == ','))
      ++i_;
  }

  std::string_view token() {
    std::size_t start = i_;
    while (!at_end() && is_tchar(peek()))
      ++i_;
    return s_.substr(start, i_ - start);
  }

  Error fail(const std::string& problem) const {
    constexpr std::size_t kShown = 120;
    std::string shown;
    for (std::size_t k = 0; k < s_.size() && k < kShown; ++k)
      shown += is_ctl(s_[k]) ? '?' : s_[k];
    if (s_.size() > kShown)
      shown += "...";
    return make_error(ErrorKind::registry, "malformed WWW-Authenticate header '" + shown + "': " +
                                               problem + " at offset " + std::to_string(i_));
  }

  // After "scheme 1*SP": a token68 runs to the end of the challenge, i.e. to the end of the
  // header or a ','.
  bool token68_ahead() const {
    std::size_t k = i_;
    std::size_t start = k;
    while (k < s_.size() && is_token68_char(s_[k]))
      ++k;
    if (k == start)
      return false;
    while (k < s_.size() && s_[k] == '=')
      ++k;
    while (k < s_.size() && is_ows(s_[k]))
      ++k;
    return k == s_.size() || s_[k] == ',';
  }

  // After a ',' inside a challenge: "name =" starts another parameter, anything else the next
  // challenge's scheme.
  bool param_ahead() {
    std::size_t saved = i_;
    bool is_param = !token().empty();
    skip_ows();
    is_param = is_param && !at_end() && peek() == '=';
    i_ = saved;
    return is_param;
  }

  Result<std::string> quoted_string() {
    ++i_; // the opening quote
    std::string value;
    while (!at_end()) {
      char c = peek();
      if (c == '"') {
        ++i_;
        return value;
      }
      if (c == '\\') {
        ++i_;
        if (at_end())
          break;
        c = peek();
        if (is_ctl(c) && c != '\t')
          return fail("control character after '\\' in a quoted string");
      } else if (is_ctl(c) && c != '\t') {
        return fail("control character in a quoted string");
      }
      value += c;
      ++i_;
    }
    return fail("unterminated quoted string");
  }

  // RFC 7235 allows a token here; registries in the wild also send unquoted URLs
  // (realm=https://host/token), so every visible character but ',' and '"' is taken.
  Result<std::string> bare_value() {
    std::size_t start = i_;
    while (!at_end() && !is_ows(peek()) && peek() != ',' && peek() != '"' && !is_ctl(peek()))
      ++i_;
    if (i_ == start)
      return fail("a parameter has no value");
    return std::string(s_.substr(start, i_ - start));
  }

  Result<Challenge> parse_challenge() {
    Challenge c;
    auto scheme = token();
    if (scheme.empty())
      return fail("expected an auth scheme");
    c.scheme = lowered(scheme);
    std::size_t before_space = i_;
    skip_ows();
    if (at_end())
      return c;
    if (peek() == ',') {
      skip_separators();
      return c;
    }
    if (i_ == before_space)
      return fail("expected a space after the auth scheme");

    if (token68_ahead()) {
      std::size_t start = i_;
      while (!at_end() && (is_token68_char(peek()) || peek() == '='))
        ++i_;
      c.token68 = std::string(s_.substr(start, i_ - start));
      skip_separators();
      return c;
    }

    for (;;) {
      auto name = token();
      if (name.empty())
        return fail("expected a parameter name");
      skip_ows();
      if (at_end() || peek() != '=')
        return fail("expected '=' after parameter '" + std::string(name) + "'");
      ++i_;
      skip_ows();
      if (at_end())
        return fail("parameter '" + std::string(name) + "' has no value");
      auto value = peek() == '"' ? quoted_string() : bare_value();
      ISIGN_TRY(value);
      // RFC 7235: each parameter name occurs once per challenge. Two realms would leave it open
      // where credentials go, so a duplicate is an error, not a silent override.
      if (!c.params.emplace(lowered(name), std::move(*value)).second)
        return fail("parameter '" + lowered(name) + "' given twice");
      skip_ows();
      if (at_end())
        return c;
      if (peek() != ',')
        return fail("expected ',' after the value of parameter '" + lowered(name) + "'");
      skip_separators();
      if (at_end() || !param_ahead())
        return c;
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

} // namespace

std::string Challenge::param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

Result<std::vector<Challenge>> parse_www_authenticate(std::string_view header) {
  if (header.size() > kMaxHeaderSize)
    return make_error(ErrorKind::limit,
                      "WWW-Authenticate header is " + std::to_string(header.size()) +
                          " bytes long, more than the limit of " + std::to_string(kMaxHeaderSize));
  return Parser(header).parse();
}

} // namespace isign::registry
