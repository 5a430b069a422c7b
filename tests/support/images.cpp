#include "tests/support/images.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <curl/curl.h>
#include <nlohmann/json.hpp>
#include <openssl/rand.h>

#include "common/digest.h"
#include "common/encoding.h"
#include "registry/url.h"

#include "tests/support/curl_sinks.h"
#include "tests/support/text.h"

namespace isign::testing {

namespace {

using registry::detail::url_encode;

constexpr const char* kAcceptManifests =
    "Accept: application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

// WWW-Authenticate: "Scheme k=v, k="quoted, with commas"". Only what registries send.
struct Challenge {
  std::string scheme; // lowercased
  std::map<std::string, std::string> params;
};

Challenge parse_challenge(const std::string& header) {
  Challenge c;
  auto sp = header.find(' ');
  c.scheme = lower(header.substr(0, sp));
  std::size_t i = sp == std::string::npos ? header.size() : sp + 1;
  while (i < header.size()) {
    while (i < header.size() && (header[i] == ' ' || header[i] == ','))
      ++i;
    auto eq = header.find('=', i);
    if (eq == std::string::npos)
      break;
    std::string key = lower(trim(header.substr(i, eq - i)));
    i = eq + 1;
    std::string value;
    if (i < header.size() && header[i] == '"') {
      for (++i; i < header.size() && header[i] != '"'; ++i) {
        if (header[i] == '\\' && i + 1 < header.size())
          ++i;
        value += header[i];
      }
      ++i;
    } else {
      auto end = header.find(',', i);
      if (end == std::string::npos)
        end = header.size();
      value = trim(header.substr(i, end - i));
      i = end;
    }
    c.params[key] = value;
  }
  return c;
}

// The token cache key of a challenge's scope: distribution lists actions in random order.
std::string scope_key(const std::string& scope) {
  auto last = scope.rfind(':');
  if (last == std::string::npos)
    return scope;
  std::vector<std::string> actions;
  std::size_t start = last + 1;
  for (auto comma = scope.find(',', start);; comma = scope.find(',', start)) {
    actions.push_back(scope.substr(start, comma == std::string::npos ? comma : comma - start));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  std::sort(actions.begin(), actions.end());
  std::string key = scope.substr(0, last + 1);
  for (std::size_t i = 0; i < actions.size(); ++i)
    key += (i ? "," : "") + actions[i];
  return key;
}

const bool curl_ready = (curl_global_init(CURL_GLOBAL_DEFAULT), true);

} // namespace

std::string HttpResult::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

struct RegistryApi::Handle {
  std::unique_ptr<CURL, void (*)(CURL*)> curl{curl_easy_init(), curl_easy_cleanup};
};

RegistryApi::RegistryApi(RegistryEndpoint endpoint)
    : endpoint_(std::move(endpoint)), handle_(std::make_unique<Handle>()) {
  (void)curl_ready;
}

RegistryApi::~RegistryApi() = default;

HttpResult RegistryApi::perform(const std::string& method, const std::string& url,
                                const std::string& body, const std::vector<std::string>& headers,
                                const std::string& authorization) {
  ++requests_;
  HttpResult result;
  CURL* c = handle_->curl.get();
  curl_easy_reset(c); // keeps the open connection
  char errbuf[CURL_ERROR_SIZE] = {0};
  set_request_options(c, url, endpoint_.ca_file, errbuf);
  if (method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (method == "PUT" || method == "POST" || method == "PATCH") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  } else if (method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  curl_slist* list = nullptr;
  list = curl_slist_append(list, "Expect:");
  for (const auto& h : headers)
    list = curl_slist_append(list, h.c_str());
  if (!authorization.empty())
    list = curl_slist_append(list, ("Authorization: " + authorization).c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  collect_response(c, &result.body, &result.headers);
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(list);
  if (rc != CURLE_OK) {
    result.status = 0;
    result.body = std::string(curl_easy_strerror(rc)) + ": " + errbuf;
    return result;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &result.status);
  return result;
}

std::string RegistryApi::authorization_for(const std::string& header, std::string* error) {
  Challenge ch = parse_challenge(header);
  std::string basic =
      "Basic " + common::base64_encode(endpoint_.username + ":" + endpoint_.password);
  if (ch.scheme == "basic") {
    if (endpoint_.username.empty())
      *error = "registry wants Basic credentials; the endpoint has none";
    return basic;
  }
  if (ch.scheme != "bearer") {
    *error = "unknown auth challenge: " + header;
    return "";
  }
  std::string scope = ch.params["scope"];
  std::string key = scope_key(scope);
  if (auto it = tokens_.find(key); it != tokens_.end())
    return "Bearer " + it->second;
  std::string url = ch.params["realm"] + "?service=" + url_encode(ch.params["service"]);
  if (!scope.empty())
    url += "&scope=" + url_encode(scope);
  HttpResult r = perform("GET", url, "", {}, endpoint_.username.empty() ? "" : basic);
  if ((r.status == 404 || r.status == 405) && !endpoint_.username.empty()) {
    // Token services that only speak OAuth2 take the credentials in a POST form.
    std::string form =
        "grant_type=password&client_id=isign-tests&username=" + url_encode(endpoint_.username) +
        "&password=" + url_encode(endpoint_.password) +
        "&service=" + url_encode(ch.params["service"]);
    if (!scope.empty())
      form += "&scope=" + url_encode(scope);
    r = perform("POST", ch.params["realm"], form,
                {"Content-Type: application/x-www-form-urlencoded"}, "");
  }
  auto json = nlohmann::json::parse(r.body, nullptr, false);
  if (r.status != 200 || !json.is_object()) {
    *error =
        "token request to " + ch.params["realm"] + ": " + std::to_string(r.status) + " " + r.body;
    return "";
  }
  std::string token = json.value("token", "");
  if (token.empty())
    token = json.value("access_token", "");
  tokens_[key] = token;
  return "Bearer " + token;
}

HttpResult RegistryApi::request(const std::string& method, const std::string& path_or_url,
                                const std::string& body, const std::vector<std::string>& headers) {
  std::string url =
      path_or_url.rfind("http", 0) == 0 ? path_or_url : endpoint_.base_url() + path_or_url;
  HttpResult r = perform(method, url, body, headers, last_authorization_);
  if (r.status != 401)
    return r;
  std::string challenge = r.header("www-authenticate");
  if (challenge.empty())
    return r;
  std::string error;
  std::string authorization = authorization_for(challenge, &error);
  if (!error.empty()) {
    r.body += "\n(test helper: " + error + ")";
    return r;
  }
  last_authorization_ = authorization;
  return perform(method, url, body, headers, authorization);
}

std::string RegistryApi::push_blob(const std::string& repo, const std::string& bytes) {
  std::string digest = common::sha256_digest(bytes);
  HttpResult head = request("HEAD", "/v2/" + repo + "/blobs/" + digest);
  if (head.status == 200)
    return digest;
  HttpResult post = request("POST", "/v2/" + repo + "/blobs/uploads/", "",
                            {"Content-Type: application/octet-stream"});
  if (post.status != 202)
    FAIL("test helper: POST /v2/" << repo << "/blobs/uploads/: " << post.status << " "
                                  << post.body);
  std::string location = post.header("location");
  if (location.empty())
    FAIL("test helper: upload POST without Location");
  if (location.front() == '/')
    location = endpoint_.base_url() + location;
  location +=
      (location.find('?') == std::string::npos ? "?" : "&") + std::string("digest=") + digest;
  HttpResult put = request("PUT", location, bytes, {"Content-Type: application/octet-stream"});
  if (put.status != 201)
    FAIL("test helper: PUT blob " << digest << " to " << repo << ": " << put.status << " "
                                  << put.body);
  return digest;
}

std::string RegistryApi::push_manifest(const std::string& repo, const std::string& tag_or_digest,
                                       const std::string& bytes, const std::string& media_type) {
  HttpResult put = request("PUT", "/v2/" + repo + "/manifests/" + tag_or_digest, bytes,
                           {"Content-Type: " + media_type});
  if (put.status != 201)
    FAIL("test helper: PUT /v2/" << repo << "/manifests/" << tag_or_digest << ": " << put.status
                                 << " " << put.body);
  std::string digest = common::sha256_digest(bytes);
  if (put.header("docker-content-digest") != digest)
    FAIL("test helper: registry says digest " << put.header("docker-content-digest")
                                              << ", bytes have " << digest);
  return digest;
}

HttpResult RegistryApi::get_manifest(const std::string& repo, const std::string& tag_or_digest) {
  return request("GET", "/v2/" + repo + "/manifests/" + tag_or_digest, "", {kAcceptManifests});
}

HttpResult RegistryApi::head_manifest(const std::string& repo, const std::string& tag_or_digest) {
  return request("HEAD", "/v2/" + repo + "/manifests/" + tag_or_digest, "", {kAcceptManifests});
}

HttpResult RegistryApi::get_blob(const std::string& repo, const std::string& digest) {
  return request("GET", "/v2/" + repo + "/blobs/" + digest);
}

long RegistryApi::delete_manifest(const std::string& repo, const std::string& digest) {
  return request("DELETE", "/v2/" + repo + "/manifests/" + digest).status;
}

std::vector<std::string> RegistryApi::tags(const std::string& repo, std::size_t page_size) {
  std::vector<std::string> out;
  std::string next = "/v2/" + repo + "/tags/list";
  if (page_size > 0)
    next += "?n=" + std::to_string(page_size);
  for (int pages = 0; !next.empty() && pages < 10000; ++pages) {
    HttpResult r = request("GET", next);
    if (r.status != 200)
      FAIL("test helper: GET " << next << ": " << r.status << " " << r.body);
    auto json = nlohmann::json::parse(r.body, nullptr, false);
    if (json.is_object() && json.contains("tags") && json["tags"].is_array())
      for (const auto& t : json["tags"])
        if (t.is_string())
          out.push_back(t.get<std::string>());
    // Link: </v2/app/tags/list?last=x&n=100>; rel="next"
    std::string link = r.header("link");
    auto lt = link.find('<');
    auto gt = link.find('>');
    next = (lt == std::string::npos || gt == std::string::npos) ? ""
                                                                : link.substr(lt + 1, gt - lt - 1);
  }
  return out;
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (n > 0)
    RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n));
  return out;
}

std::string push_blob(const RegistryEndpoint& ep, const std::string& repo,
                      const std::string& bytes) {
  return RegistryApi(ep).push_blob(repo, bytes);
}

std::string push_manifest(const RegistryEndpoint& ep, const std::string& repo,
                          const std::string& tag_or_digest, const std::string& bytes,
                          const std::string& media_type) {
  return RegistryApi(ep).push_manifest(repo, tag_or_digest, bytes, media_type);
}

PushedImage push_image(const RegistryEndpoint& ep, const std::string& repo, const std::string& tag,
                       const ImageSpec& spec) {
  RegistryApi api(ep);
  std::string layer = spec.layer.empty() ? random_bytes(spec.layer_size) : spec.layer;
  PushedImage image;
  image.layer_digest = api.push_blob(repo, layer);
  // The layer is not a real tarball; registries do not look inside, and isign never does.
  nlohmann::ordered_json config = {
      {"architecture", "amd64"},
      {"os", "linux"},
      {"config", nlohmann::ordered_json::object()},
      {"rootfs", {{"type", "layers"}, {"diff_ids", {image.layer_digest}}}}};
  std::string config_bytes = config.dump();
  image.config_digest = api.push_blob(repo, config_bytes);
  bool docker = spec.docker_media_types;
  image.media_type = docker ? kDockerManifestType : kOciManifestType;
  nlohmann::ordered_json manifest = {{"schemaVersion", 2},
                                     {"mediaType", image.media_type},
                                     {"config",
                                      {{"mediaType", docker ? kDockerConfigType : kOciConfigType},
                                       {"digest", image.config_digest},
                                       {"size", config_bytes.size()}}},
                                     {"layers",
                                      {{{"mediaType", docker ? kDockerLayerType : kOciLayerType},
                                        {"digest", image.layer_digest},
                                        {"size", layer.size()}}}}};
  if (!spec.annotations.empty() && !docker)
    manifest["annotations"] = spec.annotations;
  image.manifest = manifest.dump();
  image.digest = api.push_manifest(repo, tag.empty() ? common::sha256_digest(image.manifest) : tag,
                                   image.manifest, image.media_type);
  return image;
}

std::string push_random_image(const RegistryEndpoint& ep, const std::string& repo,
                              const std::string& tag, std::size_t layer_size) {
  ImageSpec spec;
  spec.layer_size = layer_size;
  return push_image(ep, repo, tag, spec).digest;
}

std::string push_index(const RegistryEndpoint& ep, const std::string& repo, const std::string& tag,
                       const std::vector<IndexChild>& children) {
  RegistryApi api(ep);
  nlohmann::ordered_json manifests = nlohmann::ordered_json::array();
  for (const auto& child : children) {
    HttpResult m = api.get_manifest(repo, child.digest);
    if (m.status != 200)
      FAIL("test helper: index child " << child.digest << " not in " << repo << ": " << m.status);
    nlohmann::ordered_json platform = {{"architecture", child.platform.architecture},
                                       {"os", child.platform.os}};
    if (!child.platform.variant.empty())
      platform["variant"] = child.platform.variant;
    manifests.push_back({{"mediaType", m.header("content-type")},
                         {"digest", child.digest},
                         {"size", m.body.size()},
                         {"platform", platform}});
  }
  nlohmann::ordered_json index = {
      {"schemaVersion", 2}, {"mediaType", kOciIndexType}, {"manifests", manifests}};
  std::string bytes = index.dump();
  return api.push_manifest(repo, tag.empty() ? common::sha256_digest(bytes) : tag, bytes,
                           kOciIndexType);
}

HttpResult get_manifest(const RegistryEndpoint& ep, const std::string& repo,
                        const std::string& tag_or_digest) {
  return RegistryApi(ep).get_manifest(repo, tag_or_digest);
}

HttpResult get_blob(const RegistryEndpoint& ep, const std::string& repo,
                    const std::string& digest) {
  return RegistryApi(ep).get_blob(repo, digest);
}

long delete_manifest(const RegistryEndpoint& ep, const std::string& repo,
                     const std::string& digest) {
  return RegistryApi(ep).delete_manifest(repo, digest);
}

std::vector<std::string> list_tags(const RegistryEndpoint& ep, const std::string& repo) {
  return RegistryApi(ep).tags(repo);
}

} // namespace isign::testing
