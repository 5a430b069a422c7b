#include "registry/secret_mask.h"

#include <algorithm>

#include "common/encoding.h"
#include "registry/url.h"

namespace isign::registry::detail {

void SecretMask::add(std::string_view secret, bool lasting) {
  // Shorter strings are too likely to occur in ordinary text to be masked usefully.
  constexpr std::size_t kMinLength = 4;
  std::string s(secret);
  while (!s.empty() && s.back() == '=')
    s.pop_back(); // base64 echoed without its padding
  if (s.size() < kMinLength)
    return;
  std::lock_guard lock(mu_);
  if (std::find(secrets_.begin(), secrets_.end(), s) != secrets_.end())
    return;
  // A server's client fetches a new token per scope each token life: forget the oldest, which
  // no request carries any more, rather than grow for ever.
  if (!lasting)
    added_.push_back(s);
  if (added_.size() > kMaxSecrets) {
    secrets_.erase(std::find(secrets_.begin(), secrets_.end(), added_.front()));
    added_.pop_front();
  }
  secrets_.push_back(std::move(s));
  std::stable_sort(secrets_.begin(), secrets_.end(),
                   [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

void SecretMask::add_credentials(const Credentials& c) {
  for (const std::string& secret : {c.password, c.registry_token}) {
    add(secret, true);
    std::string form = url_encode(secret);
    add(form, true);
    for (auto pos = form.find("%20"); pos != std::string::npos; pos = form.find("%20", pos))
      form.replace(pos, 3, "+");
    add(form, true);
    add(common::base64_encode(secret), true);
  }
  if (!c.username.empty())
    add(common::base64_encode(c.username + ":" + c.password), true);
}

std::string SecretMask::mask(std::string text) const {
  std::lock_guard lock(mu_);
  for (const auto& secret : secrets_) // longest first: one that holds another goes whole
    for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 3)) {
      auto end = pos + secret.size();
      while (end < text.size() && text[end] == '=')
        ++end;
      text.replace(pos, end - pos, "***");
    }
  return text;
}

common::Error SecretMask::scrub(common::Error e) const {
  std::string m = mask(e.message());
  return m == e.message() ? e
                          : common::Error(e.kind(), std::move(m)).with_http_status(e.http_status());
}

} // namespace isign::registry::detail
