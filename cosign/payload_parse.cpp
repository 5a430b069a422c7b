#include "cosign/constants.h"
#include "cosign/payload.h"

#include <cmath>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/json.h"
#include "cosign/json_rules.h"

namespace isign::cosign {

using common::ErrorKind;
using common::json_type_name;
using common::make_error;
using common::quote_for_message;
using common::Result;
using nlohmann::json;

namespace {

// The object at `where` has exactly `keys` (containers/image's
// ParanoidUnmarshalJSONObjectExactFields).
Result<void> exact_keys(const json& object, std::string_view where,
                        std::initializer_list<std::string_view> keys) {
  return detail::known_keys(object, where, keys, true);
}

// go-digest's Parse: a registered algorithm and its exact lowercase hex length.
bool valid_digest(std::string_view d) {
  auto colon = d.find(':');
  if (colon == std::string_view::npos)
    return false;
  std::string_view alg = d.substr(0, colon);
  std::string_view hex = d.substr(colon + 1);
  std::size_t want = alg == "sha256" ? 64 : alg == "sha384" ? 96 : alg == "sha512" ? 128 : 0;
  if (want == 0 || hex.size() != want)
    return false;
  for (char c : hex)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  return true;
}

// containers/image decodes the timestamp into a float64 and accepts it when int64(t) == t.
std::optional<std::int64_t> integral(const json& v) {
  if (v.is_number_integer() && !v.is_number_unsigned())
    return v.get<std::int64_t>();
  if (v.is_number_unsigned()) {
    auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    // [-2^63, 2^63): the doubles that convert to int64 without overflow.
    if (!std::isfinite(d) || std::trunc(d) != d || d < -9223372036854775808.0 ||
        d >= 9223372036854775808.0)
      return std::nullopt;
    return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

} // namespace

Result<Payload> parse_payload(std::string_view bytes) {
  auto parsed = common::parse_strict_json(bytes);
  ISIGN_TRY_CONTEXT(parsed, "invalid payload JSON");
  const json& root = *parsed;

  ISIGN_TRY(exact_keys(root, "the payload", {"critical", "optional"}));
  const json& critical = root.at("critical");
  ISIGN_TRY(exact_keys(critical, "critical", {"type", "image", "identity"}));

  auto type = detail::string_at(critical, "critical", "type");
  ISIGN_TRY(type);
  if (*type != kSignatureType)
    return make_error(ErrorKind::verification, "critical.type is " + quote_for_message(*type) +
                                                   ", not \"" + std::string(kSignatureType) + "\"");

  const json& image = critical.at("image");
  ISIGN_TRY(exact_keys(image, "critical.image", {"docker-manifest-digest"}));
  auto digest = detail::string_at(image, "critical.image", "docker-manifest-digest");
  ISIGN_TRY(digest);
  if (!valid_digest(*digest))
    return make_error(ErrorKind::verification, "critical.image.docker-manifest-digest " +
                                                   quote_for_message(*digest) +
                                                   " is not a valid digest");

  const json& identity = critical.at("identity");
  ISIGN_TRY(exact_keys(identity, "critical.identity", {"docker-reference"}));
  auto reference = detail::string_at(identity, "critical.identity", "docker-reference");
  ISIGN_TRY(reference);
  if (reference->empty())
    return make_error(ErrorKind::verification, "critical.identity.docker-reference is empty");

  Payload out;
  out.manifest_digest = std::move(*digest);
  out.docker_reference = std::move(*reference);

  const json& optional = root.at("optional");
  out.optional_json = optional.dump(-1, ' ', false, json::error_handler_t::replace);
  if (!optional.is_null()) {
    if (!optional.is_object())
      return make_error(ErrorKind::verification, std::string("optional is ") +
                                                     json_type_name(optional) +
                                                     ", not null or an object");
    out.optional_null = false;
    for (const auto& [key, value] : optional.items())
      if (value.is_string())
        out.annotations.emplace(key, value.get<std::string>());
    if (optional.contains("creator")) {
      auto creator = detail::string_at(optional, "optional", "creator");
      ISIGN_TRY(creator);
      out.creator = std::move(*creator);
    }
    if (optional.contains("timestamp")) {
      auto ts = integral(optional.at("timestamp"));
      if (!ts) {
        const json& v = optional.at("timestamp");
        return make_error(
            ErrorKind::verification,
            v.is_number()
                ? "optional.timestamp " + v.dump() + " is not an integer number of seconds"
                : std::string("optional.timestamp is ") + json_type_name(v) + ", not an integer");
      }
      out.timestamp = *ts;
    }
  }
  return out;
}

} // namespace isign::cosign
