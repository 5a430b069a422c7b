// The OCI distribution client: URL building, challenge-driven auth with a token cache, bounded
// retries of idempotent requests, digest checks and one-line errors.
#include "registry/client.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/digest.h"
#include "common/encoding.h"
#include "registry/challenge.h"
#include "registry/credentials.h"
#include "registry/json_util.h"

namespace isign::registry {

using common::Error;
using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

const std::string kManifestAccept =
    std::string(kOciManifest) + ", " + std::string(kOciIndex) + ", " +
    std::string(kDockerManifest) + ", " + std::string(kDockerManifestList);

std::string reason_phrase(long status) {
  switch (status) {
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 409: return "Conflict";
  case 413: return "Payload Too Large";
  case 416: return "Range Not Satisfiable";
  case 429: return "Too Many Requests";
  case 500: return "Internal Server Error";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  default: return "";
  }
}

// "/v2/..." without scheme, host and query: what error messages show of a URL.
std::string url_path(const std::string& url) {
  auto scheme = url.find("://");
  auto start = scheme == std::string::npos ? 0 : url.find('/', scheme + 3);
  if (start == std::string::npos) return "/";
  auto end = url.find('?', start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

bool is_sha256_digest(std::string_view d) { return common::validate_sha256_digest(d).ok(); }

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Every secret the client sends (passwords, Basic credentials, tokens), so that no message can
// carry one back: a registry that echoes the Authorization header in its error text must not get
// base64(user:password) printed on the terminal.
class Secrets {
public:
  void add(std::string_view secret) {
    // Shorter strings are too likely to occur in ordinary text to be masked usefully.
    constexpr std::size_t kMinLength = 4;
    std::string s(secret);
    while (!s.empty() && s.back() == '=') s.pop_back(); // base64 echoed without its padding
    if (s.size() < kMinLength) return;
    std::lock_guard lock(mu_);
    if (std::find(secrets_.begin(), secrets_.end(), s) != secrets_.end()) return;
    secrets_.push_back(std::move(s));
    std::stable_sort(secrets_.begin(), secrets_.end(),
                     [](const auto& a, const auto& b) { return a.size() > b.size(); });
  }
  // A credential and the forms a registry might echo it in: as sent in a form body (%20 or '+'
  // for spaces), base64 alone and as Basic user:password.
  void add_credentials(const Credentials& c) {
    for (const std::string& secret : {c.password, c.registry_token}) {
      add(secret);
      std::string form = url_encode(secret);
      add(form);
      for (auto pos = form.find("%20"); pos != std::string::npos; pos = form.find("%20", pos))
        form.replace(pos, 3, "+");
      add(form);
      add(common::base64_encode(secret));
    }
    if (!c.username.empty()) add(common::base64_encode(c.username + ":" + c.password));
  }
  // text with every known secret (with its base64 padding, if any) replaced by "***".
  std::string mask(std::string text) const {
    std::lock_guard lock(mu_);
    for (const auto& secret : secrets_) // longest first: one that holds another goes whole
      for (auto pos = text.find(secret); pos != std::string::npos;
           pos = text.find(secret, pos + 3)) {
        auto end = pos + secret.size();
        while (end < text.size() && text[end] == '=') ++end;
        text.replace(pos, end - pos, "***");
      }
    return text;
  }
  // e with its message masked.
  Error scrub(Error e) const {
    std::string m = mask(e.message());
    return m == e.message() ? e : Error(e.kind(), std::move(m)).with_http_status(e.http_status());
  }

private:
  mutable std::mutex mu_;
  std::vector<std::string> secrets_;
};

// The registry's error code and message from a distribution-spec error body, if any.
std::string registry_detail(const std::string& body, const Secrets* secrets) {
  auto doc = detail::parse_json(body);
  if (doc.is_discarded() || !doc.is_object()) return "";
  auto it = doc.find("errors");
  if (it == doc.end() || !it->is_array() || it->empty()) return "";
  std::string out;
  for (const auto& e : *it) {
    if (!e.is_object()) continue;
    std::string code = e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "";
    std::string msg =
        e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : "";
    if (code.empty() && msg.empty()) continue;
    if (!out.empty()) out += "; ";
    out += code + (code.empty() || msg.empty() ? "" : ": ") + msg;
  }
  // Secrets are masked before the text is cut, so that no part of one is left to show.
  if (secrets) out = secrets->mask(std::move(out));
  // Registry text is untrusted: keep it to one printable line.
  for (auto& c : out)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  if (out.size() > 300) out = out.substr(0, 300) + "...";
  return out;
}

Error http_error(const HttpRequest& req, const HttpResponse& resp,
                 const Secrets* secrets = nullptr) {
  std::string msg = req.method + " " + url_path(req.url) + ": " + std::to_string(resp.status);
  if (auto phrase = reason_phrase(resp.status); !phrase.empty()) msg += " " + phrase;
  if (auto detail = registry_detail(resp.body, secrets); !detail.empty()) msg += " (" + detail + ")";
  ErrorKind kind = ErrorKind::registry;
  if (resp.status == 404) kind = ErrorKind::not_found;
  if (resp.status == 429) kind = ErrorKind::throttled;
  if (resp.status == 401 || resp.status == 403)
    msg += "; check the credentials (isign login, --registry-username/--registry-password, or "
           "--registry-token)";
  return make_error(kind, msg).with_http_status(resp.status);
}

// host[:port] of an absolute URL, lowercased, without user info; "" for a relative one.
std::string host_of(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return "";
  auto start = scheme + 3;
  auto end = url.find_first_of("/?#", start);
  std::string host(url.substr(start, end == std::string_view::npos ? url.npos : end - start));
  if (auto at = host.rfind('@'); at != std::string::npos) host.erase(0, at + 1);
  for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return host;
}

// "scheme://host[:port]" of an absolute URL, lowercased, with the scheme's default port dropped,
// so that two URLs of one origin compare equal; "" for a relative URL.
std::string origin_of(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "";
  std::string scheme(url.substr(0, scheme_end));
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string host = host_of(url);
  const std::string default_port = scheme == "https" ? ":443" : scheme == "http" ? ":80" : "";
  if (!default_port.empty() && host.size() > default_port.size() &&
      host.compare(host.size() - default_port.size(), default_port.size(), default_port) == 0)
    host.resize(host.size() - default_port.size());
  return scheme + "://" + host;
}

bool is_loopback_host(const std::string& host_port) {
  std::string host = host_port;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(1, host.find(']') - 1);
  } else if (auto colon = host.rfind(':'); colon != std::string::npos) {
    host.resize(colon);
  }
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

long parse_retry_after(const std::string& value) {
  if (value.empty()) return -1;
  for (char c : value)
    if (!std::isdigit(static_cast<unsigned char>(c))) return -1; // HTTP dates: fall back to backoff
  if (value.size() > 6) return 3600;
  return std::stol(value);
}

bool is_manifest_type(std::string_view t) {
  return t == kOciManifest || t == kOciIndex || t == kDockerManifest || t == kDockerManifestList;
}

// The Content-Type without parameters, lowercased and trimmed.
std::string content_type_of(const HttpResponse& resp) {
  std::string ct = resp.header("content-type");
  if (auto semi = ct.find(';'); semi != std::string::npos) ct.resize(semi);
  while (!ct.empty() && (ct.back() == ' ' || ct.back() == '\t')) ct.pop_back();
  for (auto& c : ct) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ct;
}

// Content-Types that say nothing about which manifest it is: the body decides.
bool is_generic_type(std::string_view ct) {
  return ct.empty() || ct == "application/json" || ct == "text/plain" ||
         ct == "application/octet-stream";
}

// Registry text quoted in a message: short (the caller's one_line makes it printable).
std::string quote_text(std::string_view s) {
  constexpr std::size_t kMax = 100;
  return "'" + std::string(s.substr(0, kMax)) + (s.size() > kMax ? "...'" : "'");
}

// The media type of a manifest answer, decided by its Content-Type and its body together: only
// image manifests and indexes are accepted (a 200 text/html page is not something to sign), and
// the Content-Type, the body's mediaType and the body's shape ("manifests" makes an index) must
// agree, so that an index served as an image manifest cannot have its children skipped.
Result<std::string> manifest_media_type(const HttpResponse& resp, const std::string& bytes) {
  const std::string ct = content_type_of(resp);
  if (!is_generic_type(ct) && !is_manifest_type(ct))
    return make_error(ErrorKind::registry, "the answer has Content-Type " + quote_text(ct) +
                                               ", not an image manifest or index");
  auto doc = detail::parse_json(bytes);
  if (doc.is_discarded() || !doc.is_object())
    return make_error(ErrorKind::registry, "the answer is not a JSON manifest (Content-Type " +
                                               quote_text(ct) + ")");
  std::string body_type;
  if (auto it = doc.find("mediaType"); it != doc.end()) {
    if (!it->is_string())
      return make_error(ErrorKind::registry, "the manifest's mediaType is not a string");
    body_type = it->get<std::string>();
  }
  const bool body_is_index = doc.contains("manifests");
  std::string type = !is_generic_type(ct) ? ct : body_type;
  if (type.empty()) type = std::string(body_is_index ? kOciIndex : kOciManifest);
  if (!is_manifest_type(type))
    return make_error(ErrorKind::registry, "the manifest's media type " + quote_text(type) +
                                               " is not an image manifest or index");
  if (!body_type.empty() && body_type != type)
    return make_error(ErrorKind::registry, "the Content-Type " + quote_text(type) +
                                               " and the manifest's mediaType " +
                                               quote_text(body_type) + " disagree");
  const bool type_is_index = type == kOciIndex || type == kDockerManifestList;
  if (type_is_index != body_is_index)
    return make_error(ErrorKind::registry,
                      std::string("the media type says ") +
                          (type_is_index ? "an index" : "an image manifest") + " but the body " +
                          (body_is_index ? "is an index (it lists \"manifests\")"
                                         : "has no \"manifests\" list"));
  return type;
}

class RegistryClient final : public Client {
public:
  RegistryClient(ClientOptions options, std::unique_ptr<Transport> transport,
                 std::shared_ptr<Secrets> secrets)
      : options_(std::move(options)), transport_(std::move(transport)),
        secrets_(std::move(secrets)) {
    secrets_->add_credentials(options_.credentials);
  }

  Result<Descriptor> head_manifest(const Repository& repo, std::string_view ref) override {
    HttpRequest req = request("HEAD", manifest_url(repo, ref));
    req.headers.emplace_back("Accept", kManifestAccept);
    auto resp = send(req, repo, Access::pull, true);
    if (!resp) return std::move(resp).error();
    if (resp->status != 200) return not_found_context(http_error(req, *resp, secrets_.get()), repo, ref);
    std::string digest = resp->header("docker-content-digest");
    if (!is_sha256_digest(digest)) {
      // Some registries omit the digest on HEAD: the bytes tell.
      auto m = get_manifest(repo, ref);
      if (!m) return std::move(m).error();
      return Descriptor{m->media_type, m->digest, m->bytes.size()};
    }
    if (is_digest(ref) && digest != ref)
      return make_error(ErrorKind::registry, "HEAD " + url_path(req.url) +
                                                 ": the registry answered digest " + digest);
    const std::string ct = content_type_of(*resp);
    if (!is_generic_type(ct) && !is_manifest_type(ct))
      return make_error(ErrorKind::registry, "HEAD " + url_path(req.url) +
                                                 ": the answer has Content-Type " + quote_text(ct) +
                                                 ", not an image manifest or index");
    Descriptor d{is_generic_type(ct) ? std::string() : ct, digest, 0};
    if (auto len = resp->header("content-length"); !len.empty())
      d.size = static_cast<std::size_t>(std::strtoull(len.c_str(), nullptr, 10));
    return d;
  }

  Result<Manifest> get_manifest(const Repository& repo, std::string_view ref) override {
    HttpRequest req = request("GET", manifest_url(repo, ref));
    req.headers.emplace_back("Accept", kManifestAccept);
    req.max_body = options_.max_manifest_size;
    auto resp = send(req, repo, Access::pull, true);
    if (!resp) {
      if (resp.error().kind() == ErrorKind::limit)
        return make_error(ErrorKind::limit, "GET " + url_path(req.url) +
                                                ": the manifest is larger than the limit of " +
                                                std::to_string(req.max_body) + " bytes");
      return std::move(resp).error();
    }
    if (resp->status != 200) return not_found_context(http_error(req, *resp, secrets_.get()), repo, ref);
    Manifest m;
    m.bytes = std::move(resp->body);
    m.digest = common::sha256_digest(m.bytes);
    if (is_digest(ref) && m.digest != ref)
      return make_error(ErrorKind::registry, "GET " + url_path(req.url) +
                                                 ": the manifest's bytes hash to " + m.digest +
                                                 ", not the requested digest");
    if (auto claimed = resp->header("docker-content-digest");
        is_sha256_digest(claimed) && claimed != m.digest)
      return make_error(ErrorKind::registry, "GET " + url_path(req.url) +
                                                 ": Docker-Content-Digest " + claimed +
                                                 " does not match the bytes received (" +
                                                 m.digest + ")");
    auto type = manifest_media_type(*resp, m.bytes);
    if (!type) return std::move(type).error().context("GET " + url_path(req.url));
    m.media_type = std::move(*type);
    m.etag = resp->header("etag");
    return m;
  }

  using Client::put_manifest;
  Result<std::string> put_manifest(const Repository& repo, std::string_view ref,
                                   std::string_view bytes, std::string_view media_type,
                                   const PutCondition& condition) override {
    HttpRequest req = request("PUT", manifest_url(repo, ref));
    req.headers.emplace_back("Content-Type", std::string(media_type));
    if (!condition.if_match.empty()) req.headers.emplace_back("If-Match", condition.if_match);
    if (condition.if_none_match_any) req.headers.emplace_back("If-None-Match", "*");
    req.body = std::string(bytes);
    auto resp = send(req, repo, Access::push, false);
    if (!resp) return std::move(resp).error();
    if (resp->status != 201 && resp->status != 200) return http_error(req, *resp, secrets_.get());
    std::string digest = common::sha256_digest(bytes);
    if (auto stored = resp->header("docker-content-digest");
        is_sha256_digest(stored) && stored != digest)
      return make_error(ErrorKind::registry, "PUT " + url_path(req.url) +
                                                 ": the registry stored digest " + stored +
                                                 ", not the digest of the bytes sent (" + digest +
                                                 ")");
    return digest;
  }

  Result<void> delete_manifest(const Repository& repo, std::string_view digest) override {
    HttpRequest req = request("DELETE", manifest_url(repo, digest));
    auto resp = send(req, repo, Access::push, false);
    if (!resp) return std::move(resp).error();
    if (resp->status != 202 && resp->status != 200) return http_error(req, *resp, secrets_.get());
    return {};
  }

  Result<bool> blob_exists(const Repository& repo, std::string_view digest) override {
    HttpRequest req = request("HEAD", blob_url(repo, digest));
    auto resp = send(req, repo, Access::pull, true);
    if (!resp) return std::move(resp).error();
    if (resp->status == 200) return true;
    if (resp->status == 404) return false;
    return http_error(req, *resp, secrets_.get());
  }

  Result<std::string> get_blob(const Repository& repo, std::string_view digest,
                               std::size_t max_size) override {
    if (!is_sha256_digest(digest))
      return make_error(ErrorKind::registry, "invalid blob digest '" + std::string(digest) + "'");
    HttpRequest req = request("GET", blob_url(repo, digest));
    req.max_body = max_size;
    // Hashed as the bytes arrive; every attempt (retry, auth round) starts afresh.
    std::optional<common::Sha256> hash;
    std::string bytes;
    req.body_sink = [&](std::string_view chunk) {
      hash->update(chunk);
      bytes.append(chunk);
      return true;
    };
    auto restart = [&] {
      hash.emplace();
      bytes.clear();
    };
    auto resp = send(req, repo, Access::pull, true, restart);
    if (!resp) {
      if (resp.error().kind() == ErrorKind::limit)
        return make_error(ErrorKind::limit, "GET " + url_path(req.url) +
                                                ": the blob is larger than the limit of " +
                                                std::to_string(max_size) + " bytes");
      return std::move(resp).error();
    }
    if (resp->status != 200) return http_error(req, *resp, secrets_.get());
    if (auto got = hash->finish_digest(); got != digest)
      return make_error(ErrorKind::registry, "GET " + url_path(req.url) +
                                                 ": the blob's bytes hash to " + got +
                                                 " (truncated or corrupted)");
    return bytes;
  }

  Result<void> put_blob(const Repository& repo, std::string_view digest,
                        std::string_view bytes) override {
    auto exists = blob_exists(repo, digest);
    if (!exists) return std::move(exists).error();
    if (*exists) return {};
    HttpRequest start = request("POST", base(repo) + "/blobs/uploads/");
    auto started = send(start, repo, Access::push, false);
    if (!started) return std::move(started).error();
    if (started->status != 202) return http_error(start, *started, secrets_.get());
    std::string location = started->header("location");
    if (location.empty())
      return make_error(ErrorKind::registry,
                        "POST " + url_path(start.url) + ": no Location header in the answer");
    if (location.rfind("http://", 0) != 0 && location.rfind("https://", 0) != 0)
      location = origin(repo) + (location.front() == '/' ? "" : "/") + location;
    if (auto clear = refuse_plain_http(location, "upload location"); !clear)
      return std::move(clear).error().context("POST " + url_path(start.url));
    location += (location.find('?') == std::string::npos ? "?" : "&");
    location += "digest=" + url_encode(digest);
    HttpRequest put = request("PUT", location);
    put.headers.emplace_back("Content-Type", "application/octet-stream");
    put.body = std::string(bytes);
    auto done = send(put, repo, Access::push, false);
    if (!done) return std::move(done).error();
    if (done->status != 201) return http_error(put, *done, secrets_.get());
    return {};
  }

  Result<std::vector<std::string>> list_tags(const Repository& repo) override {
    constexpr std::size_t kMaxTags = 1000000;
    std::vector<std::string> tags;
    auto walked = walk_tag_pages(repo, base(repo) + "/tags/list",
                                 [&](std::vector<std::string>& page, const std::string& url) {
                                   for (auto& t : page) tags.push_back(std::move(t));
                                   if (tags.size() > kMaxTags)
                                     return Result<bool>(make_error(
                                         ErrorKind::limit, "GET " + url_path(url) + ": more than " +
                                                               std::to_string(kMaxTags) + " tags"));
                                   return Result<bool>(true);
                                 });
    if (!walked) return std::move(walked).error();
    return tags;
  }

  Result<bool> has_tag(const Repository& repo, std::string_view tag) override {
    // The registry's tag list, a different path from the manifest's: a cache or replica that
    // answers 404 for the manifest does not make the list forget the tag. A registry that
    // honours "last" (OCI distribution) starts the list just before the tag: every valid tag
    // character sorts below '~', so no tag falls between "<tag minus last char>~" and the tag.
    std::string last(tag);
    if (!last.empty()) last.back() = static_cast<char>(last.back() - 1);
    last += '~';
    bool found = false;
    const std::string wanted(tag);
    auto walked = walk_tag_pages(
        repo, base(repo) + "/tags/list?n=100&last=" + url_encode(last),
        [&](const std::vector<std::string>& page, const std::string&) {
          bool past = false;
          for (const auto& t : page) {
            found = found || t == wanted;
            past = past || t > wanted; // lists are in lexical order: the tag cannot come later
          }
          return Result<bool>(!found && !past);
        });
    if (!walked) return std::move(walked).error();
    return found;
  }
  std::size_t request_count() const override { return requests_.load(); }

private:
  HttpRequest request(std::string method, std::string url) {
    HttpRequest r;
    r.method = std::move(method);
    r.url = std::move(url);
    return r;
  }

  // Plain HTTP only with --allow-http-registry, never as a silent fallback, not even for
  // localhost or 127.0.0.0/8 (docker retries those over HTTP after HTTPS fails): a fallback would
  // let anything that breaks TLS on the port downgrade the connection, and a registry that speaks
  // only HTTP gets an error naming the flag instead (see curl_transport.cpp).
  std::string origin(const Repository& repo) const {
    return std::string(options_.allow_http ? "http://" : "https://") + repo.api_host();
  }
  std::string base(const Repository& repo) const { return origin(repo) + "/v2/" + repo.name; }
  std::string manifest_url(const Repository& repo, std::string_view ref) const {
    return base(repo) + "/manifests/" + std::string(ref);
  }
  std::string blob_url(const Repository& repo, std::string_view digest) const {
    return base(repo) + "/blobs/" + std::string(digest);
  }
  static bool is_digest(std::string_view ref) { return ref.find(':') != std::string_view::npos; }


  static Error not_found_context(Error e, const Repository& repo, std::string_view ref) {
    if (e.kind() != ErrorKind::not_found) return e;
    std::string what = repo.str();
    if (!ref.empty()) what += (is_digest(ref) ? "@" : ":") + std::string(ref);
    return std::move(e).context(what + " not found");
  }

  // The "next" URL of a Link header (RFC 8288), absolute; "" when there is none.
  std::string next_link(const std::string& link, const Repository& repo) const {
    if (link.empty() || link.find("rel=\"next\"") == std::string::npos) return "";
    auto lt = link.find('<');
    auto gt = link.find('>', lt);
    if (lt == std::string::npos || gt == std::string::npos) return "";
    std::string target = link.substr(lt + 1, gt - lt - 1);
    if (target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0) return target;
    return origin(repo) + (target.front() == '/' ? "" : "/") + target;
  }

  // Follows a tag list and its Link: rel="next" pages, handing each page's tags to on_page, which
  // returns false to stop. Bounded: a Link back to a visited page, more than kMaxPages pages, or
  // kMaxEmptyPages empty pages in a row (a registry that pages forever) are registry errors.
  template <class OnPage>
  Result<void> walk_tag_pages(const Repository& repo, std::string url, OnPage&& on_page) {
    constexpr std::size_t kMaxPages = 10000, kMaxEmptyPages = 3;
    std::set<std::string> visited;
    std::size_t pages = 0, empty_in_a_row = 0;
    while (!url.empty()) {
      if (!visited.insert(url).second)
        return make_error(ErrorKind::registry,
                          "GET " + url_path(url) + ": the tag list's Link header loops back");
      if (++pages > kMaxPages)
        return make_error(ErrorKind::limit, "GET " + url_path(url) + ": the tag list has more than " +
                                                std::to_string(kMaxPages) + " pages");
      if (auto clear = refuse_plain_http(url, "next tag page"); !clear) return clear;
      HttpRequest req = request("GET", url);
      auto resp = send(req, repo, Access::pull, true);
      if (!resp) return std::move(resp).error();
      if (resp->status != 200) return not_found_context(http_error(req, *resp, secrets_.get()), repo, "");
      auto doc = detail::parse_json(resp->body);
      if (doc.is_discarded() || !doc.is_object())
        return make_error(ErrorKind::registry, "GET " + url_path(url) + ": the answer is not JSON");
      std::vector<std::string> page;
      if (auto it = doc.find("tags"); it != doc.end() && it->is_array()) {
        for (const auto& t : *it)
          if (t.is_string()) page.push_back(t.get<std::string>());
      }
      url = next_link(resp->header("link"), repo);
      empty_in_a_row = page.empty() ? empty_in_a_row + 1 : 0;
      if (!url.empty() && empty_in_a_row >= kMaxEmptyPages)
        return make_error(ErrorKind::registry,
                          "GET " + url_path(req.url) + ": the registry sent " +
                              std::to_string(empty_in_a_row) +
                              " empty tag pages in a row, each with a next page; giving up");
      auto more = on_page(page, req.url);
      if (!more) return std::move(more).error();
      if (!*more) break;
    }
    return {};
  }

  // Plain HTTP is spoken only with --allow-http-registry, on every request: a registry reached
  // over HTTPS cannot send us (and our Authorization) elsewhere in clear.
  Result<void> refuse_plain_http(const std::string& url, const std::string& what) const {
    if (options_.allow_http || url.rfind("http://", 0) != 0) return {};
    return make_error(ErrorKind::registry, "the registry's " + what + " " + quote_text(url_path(url)) +
                                               " on " + host_of(url) +
                                               " is plain HTTP; refusing to follow it "
                                               "(--allow-http-registry allows it)");
  }

  // --- auth ---------------------------------------------------------------------------------

  static std::string scope_for(const Repository& repo, Access access) {
    return "repository:" + repo.name + (access == Access::push ? ":pull,push" : ":pull");
  }
  static std::string cache_key(const Repository& repo, Access access) {
    return repo.registry + "|" + scope_for(repo, access);
  }

  Result<std::optional<Credentials>> credentials_for(const std::string& registry) {
    if (!options_.credentials.username.empty() || !options_.credentials.registry_token.empty())
      return std::optional<Credentials>(options_.credentials);
    if (!options_.use_credential_store) return std::optional<Credentials>();
    std::lock_guard lock(auth_mutex_);
    if (auto it = stored_credentials_.find(registry); it != stored_credentials_.end())
      return it->second;
    auto found = options_.credential_lookup ? options_.credential_lookup(registry)
                                            : find_credentials(registry);
    if (!found) return std::move(found).error().context("reading credentials for " + registry);
    stored_credentials_[registry] = *found;
    if (*found) secrets_->add_credentials(**found);
    return *found;
  }

  std::string cached_authorization(const Repository& repo, Access access) {
    if (!options_.credentials.registry_token.empty())
      return "Bearer " + options_.credentials.registry_token;
    std::lock_guard lock(auth_mutex_);
    // A registry token stored for the registry (config.json "registrytoken") is used as is.
    if (auto it = stored_credentials_.find(repo.registry);
        it != stored_credentials_.end() && it->second && !it->second->registry_token.empty())
      return "Bearer " + it->second->registry_token;
    if (auto it = authorizations_.find(cache_key(repo, access)); it != authorizations_.end())
      return it->second;
    // A push token also allows pulls.
    if (access == Access::pull)
      if (auto it = authorizations_.find(cache_key(repo, Access::push)); it != authorizations_.end())
        return it->second;
    if (auto it = authorizations_.find(repo.registry + "|basic"); it != authorizations_.end())
      return it->second;
    return "";
  }

  // Answers a 401 to `rejected` (the Authorization sent, or ""): Basic credentials or a bearer
  // token for exactly the scope needed.
  Result<std::string> authorize(const Repository& repo, Access access, const HttpResponse& resp,
                                const std::string& rejected) {
    auto challenges = parse_www_authenticate(resp.header("www-authenticate"));
    if (!challenges) return std::move(challenges).error().context("reading the auth challenge");
    const Challenge* bearer = nullptr;
    const Challenge* basic = nullptr;
    for (const auto& c : *challenges) {
      if (c.scheme == "bearer" && !bearer) bearer = &c;
      if (c.scheme == "basic" && !basic) basic = &c;
    }
    auto creds = credentials_for(repo.registry);
    if (!creds) return std::move(creds).error();
    if (*creds && !(*creds)->registry_token.empty()) return "Bearer " + (*creds)->registry_token;
    if (bearer) {
      // One fetch per scope at a time: threads that hit the same 401 together (verify checks
      // images concurrently) wait for the first one's token instead of each fetching their own.
      const std::string key = cache_key(repo, access);
      std::unique_lock fetching(fetch_mutex(key));
      {
        std::lock_guard lock(auth_mutex_);
        if (auto it = authorizations_.find(key);
            it != authorizations_.end() && it->second != rejected)
          return it->second;
      }
      auto token = fetch_token(*bearer, repo, access, *creds);
      if (!token) return std::move(token).error();
      std::string header = "Bearer " + *token;
      std::lock_guard lock(auth_mutex_);
      authorizations_[key] = header;
      return header;
    }
    if (basic) {
      if (!*creds || (*creds)->username.empty())
        return make_error(ErrorKind::registry,
                          "401 Unauthorized: " + repo.registry +
                              " requires credentials and none are configured; run 'isign login " +
                              repo.registry + "' or pass --registry-username/--registry-password");
      std::string header =
          "Basic " + common::base64_encode((*creds)->username + ":" + (*creds)->password);
      std::lock_guard lock(auth_mutex_);
      authorizations_[repo.registry + "|basic"] = header;
      return header;
    }
    return make_error(ErrorKind::registry,
                      repo.registry + " asked for an unsupported authentication scheme");
  }

  Result<std::string> fetch_token(const Challenge& c, const Repository& repo, Access access,
                                  const std::optional<Credentials>& creds) {
    std::string realm = c.param("realm");
    if (realm.rfind("https://", 0) != 0 && realm.rfind("http://", 0) != 0)
      return make_error(ErrorKind::registry, "the registry's token realm '" + realm +
                                                 "' is not an http(s) URL");
    // A plain-HTTP realm only on this machine or when plain HTTP is allowed: an HTTPS registry
    // must not be able to have credentials sent, or a token fetched, in clear over the network.
    const std::optional<Credentials>& send_creds = creds;
    if (realm.rfind("http://", 0) == 0 && !options_.allow_http &&
        !is_loopback_host(host_of(realm)))
      return make_error(ErrorKind::registry,
                        "the registry's token service " + host_of(realm) + " is plain HTTP; " +
                            (creds ? "refusing to send credentials there"
                                   : "refusing to fetch a token from it") +
                            " (--allow-http-registry allows it)");
    std::string service = c.param("service");
    std::string scope = scope_for(repo, access);
    ++token_requests_;
    const bool identity_token = send_creds && send_creds->username == "<token>";
    std::string query = (service.empty() ? "" : "service=" + url_encode(service) + "&") +
                        "scope=" + url_encode(scope);
    Result<HttpResponse> resp = make_error(ErrorKind::internal, "no token request made");
    HttpRequest req;
    if (!identity_token) {
      req = request("GET", realm + (realm.find('?') == std::string::npos ? "?" : "&") + query);
      if (send_creds && !send_creds->username.empty())
        req.headers.emplace_back("Authorization", "Basic " + common::base64_encode(
                                                                 send_creds->username + ":" +
                                                                 send_creds->password));
      resp = send_raw(req, true);
      if (!resp) return std::move(resp).error().context("fetching a token from " + url_path(realm));
    }
    // The OAuth2 form: for identity tokens always, and as a fallback when GET is refused.
    if (identity_token || (send_creds && !send_creds->username.empty() && resp->status >= 400 &&
                           resp->status != 401 && resp->status != 403)) {
      req = request("POST", realm);
      req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
      req.body = query + "&client_id=isign&";
      if (identity_token)
        req.body += "grant_type=refresh_token&refresh_token=" + url_encode(send_creds->password);
      else
        req.body += "grant_type=password&username=" + url_encode(send_creds->username) +
                    "&password=" + url_encode(send_creds->password);
      resp = send_raw(req, false);
      if (!resp) return std::move(resp).error().context("fetching a token from " + url_path(realm));
    }
    if (resp->status != 200) {
      Error e = http_error(req, *resp, secrets_.get());
      // A token service that answers 404 is a broken auth setup, not a missing image.
      if (e.kind() == ErrorKind::not_found)
        e = Error(ErrorKind::registry, e.message()).with_http_status(e.http_status());
      return std::move(e).context("fetching a token for " + scope);
    }
    auto doc = detail::parse_json(resp->body);
    for (const char* field : {"token", "access_token"})
      if (!doc.is_discarded() && doc.is_object() && doc.contains(field) && doc[field].is_string() &&
          !doc[field].get<std::string>().empty()) {
        secrets_->add(doc[field].get<std::string>());
        return doc[field].get<std::string>();
      }
    return make_error(ErrorKind::registry, "the token service at " + url_path(realm) +
                                               " answered without a token");
  }

  // --- sending ------------------------------------------------------------------------------

  std::mutex& fetch_mutex(const std::string& key) { return keyed_mutex(fetch_mutexes_, key); }

  std::mutex& keyed_mutex(std::map<std::string, std::unique_ptr<std::mutex>>& mutexes,
                          const std::string& key) {
    std::lock_guard lock(auth_mutex_);
    auto& m = mutexes[key];
    if (!m) m = std::make_unique<std::mutex>();
    return *m;
  }

  // Whether url goes to the registry's own origin (scheme, host and port): Authorization is
  // never sent anywhere else, as an absolute upload Location or Link may name another host, or
  // plain HTTP.
  bool same_origin(const std::string& url, const Repository& repo) const {
    return origin_of(url) == origin_of(origin(repo));
  }

  // The first request of each registry and scope goes alone: threads that start together
  // (verify checks images concurrently) wait for its answer, and then for the token it brought,
  // instead of each collecting a 401 of its own. Once that request is answered, nobody waits.
  class FirstRequest {
  public:
    FirstRequest(RegistryClient& client, std::string key) : client_(client), key_(std::move(key)) {
      if (client_.probed(key_)) return;
      lock_ = std::unique_lock(client_.keyed_mutex(client_.probe_mutexes_, key_));
      if (client_.probed(key_)) lock_.unlock();
    }
    FirstRequest(const FirstRequest&) = delete;
    FirstRequest& operator=(const FirstRequest&) = delete;
    ~FirstRequest() {
      if (!lock_.owns_lock()) return;
      {
        std::lock_guard lock(client_.auth_mutex_);
        client_.probed_.insert(key_);
      }
      lock_.unlock();
    }

  private:
    RegistryClient& client_;
    std::string key_;
    std::unique_lock<std::mutex> lock_;
  };

  bool probed(const std::string& key) {
    std::lock_guard lock(auth_mutex_);
    return probed_.count(key) > 0;
  }

  // Sends with auth: a cached authorization first; on 401 one challenge round, then again.
  // restart runs before every attempt, so a streaming body sink can start afresh.
  Result<HttpResponse> send(HttpRequest req, const Repository& repo, Access access,
                            bool idempotent, const std::function<void()>& restart = {}) {
    const std::size_t base_headers = req.headers.size();
    const bool own_host = same_origin(req.url, repo);
    std::optional<FirstRequest> first;
    if (own_host && options_.credentials.registry_token.empty())
      first.emplace(*this, cache_key(repo, access));
    std::string auth = own_host ? cached_authorization(repo, access) : "";
    for (int round = 0; round < 2; ++round) {
      req.headers.resize(base_headers);
      if (!auth.empty()) {
        secrets_->add(auth.substr(auth.find(' ') + 1));
        req.headers.emplace_back("Authorization", auth);
      }
      auto resp = send_raw(req, idempotent, restart);
      if (!resp || resp->status != 401 || round == 1 || !own_host) return resp;
      // A 401 without a challenge cannot be answered: the caller reports it with its hint.
      if (resp->header("www-authenticate").empty()) return resp;
      if (!options_.credentials.registry_token.empty()) return resp; // a given token is final
      auto fresh = authorize(repo, access, *resp, auth);
      if (!fresh) return std::move(fresh).error();
      auth = std::move(*fresh);
    }
    return make_error(ErrorKind::internal, "unreachable");
  }

  // One request with retries: idempotent requests on connection errors, 429 and 5xx, with
  // bounded exponential backoff and jitter, honouring Retry-After. Others are sent once.
  Result<HttpResponse> send_raw(HttpRequest& req, bool idempotent,
                                const std::function<void()>& restart = {}) {
    const int attempts = idempotent ? 1 + std::max(0, options_.max_retries) : 1;
    for (int attempt = 1;; ++attempt) {
      if (options_.deadline) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            *options_.deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
          return make_error(ErrorKind::network,
                            req.method + " " + url_path(req.url) +
                                ": the overall deadline passed before the request could be sent "
                                "(--deadline sets it)");
        req.timeout = left;
      }
      ++requests_;
      if (restart) restart();
      auto resp = transport_->perform(req);
      bool retryable = false;
      long wait_ms = backoff_ms(attempt);
      if (!resp) {
        retryable = resp.error().kind() == ErrorKind::network && !req.permanent_failure;
      } else if (resp->status == 429 || resp->status >= 500) {
        retryable = true;
        // Retry-After in seconds is honoured up to a minute; HTTP dates fall back to backoff.
        if (long after = parse_retry_after(resp->header("retry-after")); after >= 0)
          wait_ms = std::min<long>(after * 1000, 60000);
      }
      if (!retryable || attempt >= attempts) {
        if (resp && resp->status == 429) {
          Error e = http_error(req, *resp, secrets_.get());
          return std::move(e).context("the registry kept throttling (" +
                                      std::to_string(attempt) + " attempts)");
        }
        if (!resp && attempt > 1)
          return std::move(resp).error().context(req.method + " " + url_path(req.url) + " (" +
                                                 std::to_string(attempt) + " attempts)");
        if (!resp) return std::move(resp).error().context(req.method + " " + url_path(req.url));
        return resp;
      }
      if (options_.deadline)
        wait_ms = std::min<long>(
            wait_ms, std::max<long>(0, static_cast<long>(
                                           std::chrono::duration_cast<std::chrono::milliseconds>(
                                               *options_.deadline - std::chrono::steady_clock::now())
                                               .count())));
      if (options_.sleep)
        options_.sleep(std::chrono::milliseconds(wait_ms));
      else
        std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    }
  }

  // Exponential from 200 ms, capped at max_backoff, with jitter in its upper half.
  long backoff_ms(int attempt) {
    thread_local std::mt19937 rng{std::random_device{}()};
    long base = 200L << std::min(attempt - 1, 10);
    long capped = std::min<long>(base, static_cast<long>(options_.max_backoff.count()));
    return capped / 2 + std::uniform_int_distribution<long>(0, capped / 2)(rng);
  }

  ClientOptions options_;
  std::unique_ptr<Transport> transport_;
  std::shared_ptr<Secrets> secrets_;
  std::atomic<std::size_t> requests_{0};
  std::atomic<std::size_t> token_requests_{0};
  std::mutex auth_mutex_;
  std::map<std::string, std::string> authorizations_;
  std::map<std::string, std::optional<Credentials>> stored_credentials_;
  std::map<std::string, std::unique_ptr<std::mutex>> fetch_mutexes_; // per cache key
  std::map<std::string, std::unique_ptr<std::mutex>> probe_mutexes_; // per cache key
  std::set<std::string> probed_; // cache keys whose first request was answered
};

// The client as callers see it: every error leaves with the secrets sent masked.
class ScrubbingClient final : public Client {
public:
  ScrubbingClient(ClientOptions options, std::unique_ptr<Transport> transport)
      : secrets_(std::make_shared<Secrets>()),
        inner_(std::move(options), std::move(transport), secrets_) {}

  Result<Descriptor> head_manifest(const Repository& repo, std::string_view ref) override {
    return scrub(inner_.head_manifest(repo, ref));
  }
  Result<Manifest> get_manifest(const Repository& repo, std::string_view ref) override {
    return scrub(inner_.get_manifest(repo, ref));
  }
  using Client::put_manifest;
  Result<std::string> put_manifest(const Repository& repo, std::string_view ref,
                                   std::string_view bytes, std::string_view media_type,
                                   const PutCondition& condition) override {
    return scrub(inner_.put_manifest(repo, ref, bytes, media_type, condition));
  }
  Result<void> delete_manifest(const Repository& repo, std::string_view digest) override {
    return scrub(inner_.delete_manifest(repo, digest));
  }
  Result<bool> blob_exists(const Repository& repo, std::string_view digest) override {
    return scrub(inner_.blob_exists(repo, digest));
  }
  Result<std::string> get_blob(const Repository& repo, std::string_view digest,
                               std::size_t max_size) override {
    return scrub(inner_.get_blob(repo, digest, max_size));
  }
  Result<void> put_blob(const Repository& repo, std::string_view digest,
                        std::string_view bytes) override {
    return scrub(inner_.put_blob(repo, digest, bytes));
  }
  Result<std::vector<std::string>> list_tags(const Repository& repo) override {
    return scrub(inner_.list_tags(repo));
  }
  Result<bool> has_tag(const Repository& repo, std::string_view tag) override {
    return scrub(inner_.has_tag(repo, tag));
  }
  std::size_t request_count() const override { return inner_.request_count(); }

private:
  template <class T> Result<T> scrub(Result<T> r) const {
    if (r) return r;
    return secrets_->scrub(std::move(r).error());
  }

  std::shared_ptr<Secrets> secrets_;
  RegistryClient inner_;
};

} // namespace

std::unique_ptr<Client> Client::create(ClientOptions options,
                                       std::unique_ptr<Transport> transport) {
  if (!transport) transport = make_curl_transport(options.transport);
  return std::make_unique<ScrubbingClient>(std::move(options), std::move(transport));
}

} // namespace isign::registry
