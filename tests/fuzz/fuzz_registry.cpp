// Everything a registry (or whoever answers in its place) sends: statuses, headers, challenges,
// token replies, manifests, indexes, blobs, tag lists and error bodies, through the real
// registry::Client, the resolver and the verify code above it. The input scripts the responses, in
// order, separated by "\n--response--\n"; each is a status line, header lines ("name: value"), an
// empty line and the body. In headers, @BODY_DIGEST@ becomes the sha256 digest of the response's
// body, so mutated bodies can still carry a matching Docker-Content-Digest. When the script runs
// out, the transport fails as a refused connection would.
// Invariants: error messages are one line and never contain the password or the token.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/digest.h"
#include "common/encoding.h"
#include "cosign/store.h"
#include "keys/keys.h"
#include "registry/client.h"
#include "registry/reference.h"
#include "registry/resolve.h"
#include "tests/fuzz/fuzz_support.h"
#include "verify/image_verifier.h"

using namespace isign;
using common::ErrorKind;

namespace {

constexpr std::string_view kPassword = "fuzz-password-SECRET";

// testdata/keys/openssl/ec-p256-pkcs8.pub: signs testdata/payloads/containers-image.json.
constexpr std::string_view kKey = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEnY6HflTsdwyi9+VhydC8puoCWjrK
PF34/xM/xb2OGQXLLkNYEvxQ6wsa4qSFGsryDQpSsDlbLh1iuBzNiza9ZQ==
-----END PUBLIC KEY-----
)";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

registry::HttpResponse parse_response(std::string_view text) {
  registry::HttpResponse out;
  auto [head, body] = fuzz::split(text, "\n\n");
  out.body = std::string(body);
  auto [status_line, headers] = fuzz::split(head, "\n");
  status_line = trim(status_line);
  long status = 200;
  auto [end, ec] =
      std::from_chars(status_line.data(), status_line.data() + status_line.size(), status);
  (void)end;
  out.status = ec == std::errc() ? status : 200;
  const std::string body_digest = common::sha256_digest(out.body);
  while (!headers.empty()) {
    auto [line, rest] = fuzz::split(headers, "\n");
    headers = rest;
    auto colon = line.find(':');
    if (colon == std::string_view::npos)
      continue;
    std::string value(trim(line.substr(colon + 1)));
    for (auto at = value.find("@BODY_DIGEST@"); at != std::string::npos;
         at = value.find("@BODY_DIGEST@", at + body_digest.size()))
      value.replace(at, 13, body_digest);
    out.headers.emplace(lower(trim(line.substr(0, colon))), std::move(value));
  }
  return out;
}

// Serves the scripted responses as the curl transport would: a 2xx body goes to body_sink (in
// two pieces), a body over max_body is a limit error.
class ScriptedTransport : public registry::Transport {
public:
  explicit ScriptedTransport(std::deque<registry::HttpResponse> responses)
      : responses_(std::move(responses)) {}

  common::Result<registry::HttpResponse> perform(registry::HttpRequest& request) override {
    ISIGN_FUZZ_CHECK(++requests_ < 10000); // every loop in the client is bounded
    if (responses_.empty())
      return common::make_error(ErrorKind::network, "connection refused");
    registry::HttpResponse out = std::move(responses_.front());
    responses_.pop_front();
    out.effective_url = request.url;
    if (out.body.size() > request.max_body)
      return common::make_error(ErrorKind::limit, "response body over the limit");
    if (request.body_sink && out.status >= 200 && out.status < 300) {
      std::string_view body = out.body;
      const auto half = body.size() / 2;
      if (!request.body_sink(body.substr(0, half)) || !request.body_sink(body.substr(half)))
        return common::make_error(ErrorKind::network, "transfer aborted by the receiver");
      out.body.clear();
    }
    return out;
  }

private:
  std::deque<registry::HttpResponse> responses_;
  int requests_ = 0;
};

// The secrets a message must not show: the password and the Basic credentials made from it.
// Ignored when the registry's own responses contain them (the fuzzer learns the string from the
// comparison below and plays it back; quoting the registry is not a leak).
struct Secrets {
  std::vector<std::string> values;
  bool in_input = false;
};

Secrets& secrets() {
  static Secrets s{
      {std::string(kPassword), common::base64_encode("fuzz-user:" + std::string(kPassword))},
      false};
  return s;
}

void check_error(const common::Error& error) {
  const std::string& m = error.message();
  ISIGN_FUZZ_CHECK(!m.empty());
  ISIGN_FUZZ_CHECK(m.find('\n') == std::string::npos);
  if (!secrets().in_input)
    for (const auto& secret : secrets().values)
      ISIGN_FUZZ_CHECK(m.find(secret) == std::string::npos);
}

template <class T> void check(const common::Result<T>& result) {
  if (!result)
    check_error(result.error());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::deque<registry::HttpResponse> responses;
  std::string_view rest = fuzz::as_view(data, size);
  secrets().in_input = false;
  for (const auto& secret : secrets().values)
    secrets().in_input = secrets().in_input || rest.find(secret) != std::string_view::npos;
  while (!rest.empty() && responses.size() < 64) {
    auto [one, next] = fuzz::split(rest, "\n--response--\n");
    responses.push_back(parse_response(one));
    rest = next;
  }

  registry::ClientOptions options;
  options.credentials.username = "fuzz-user";
  options.credentials.password = std::string(kPassword);
  options.use_credential_store = false;
  options.sleep = [](std::chrono::milliseconds) {};
  auto client =
      registry::Client::create(options, std::make_unique<ScriptedTransport>(std::move(responses)));
  ISIGN_FUZZ_CHECK(client != nullptr);

  static const verify::Rule rule = [] {
    auto key = keys::PublicKey::from_pem(kKey);
    if (!key)
      fuzz::invariant_failed("the testdata public key does not load", __FILE__, __LINE__);
    verify::Requirement requirement;
    requirement.keys.push_back(std::move(*key));
    verify::Rule out;
    out.scope = "--key";
    out.requirements.push_back(std::move(requirement));
    return out;
  }();
  auto ref = registry::Reference::parse("127.0.0.1:5000/test/app:v1");
  ISIGN_FUZZ_CHECK(ref.ok());

  // Every child of an index too, so children lists and their digests are fuzzed.
  auto resolved = registry::resolve_targets(*client, *ref, registry::Selection{true, std::nullopt});
  if (resolved) {
    auto store = cosign::make_tag_store(*client);
    for (const auto& target : resolved->targets) {
      auto result = verify::verify_target(*store, *ref, target, rule, verify::Limits{});
      for (const auto& report : result.reports)
        for (const auto& layer : report.signatures)
          if (!layer.ok())
            ISIGN_FUZZ_CHECK(layer.reason.find('\n') == std::string::npos);
      if (result.error)
        check_error(*result.error);
    }
  } else {
    check_error(resolved.error());
  }

  // Without a selection: the HEAD that sign and verify send for a plain reference.
  check(registry::resolve_targets(*client, *ref, registry::Selection{}));
  check(client->list_tags(ref->repository));
  check(client->list_referrers(
      ref->repository, "sha256:7ae123c5a2c653e39044b3c58c3d10a2d5f78f613863d182c24716391ef98a65",
      "application/vnd.example+json"));
  check(client->get_blob(ref->repository,
                         "sha256:7ae123c5a2c653e39044b3c58c3d10a2d5f78f613863d182c24716391ef98a65",
                         1u << 20));
  return 0;
}
