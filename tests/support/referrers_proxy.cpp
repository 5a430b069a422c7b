#include "tests/support/referrers_proxy.h"

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/digest.h"
#include "registry/url.h"
#include "tests/support/text.h"

namespace isign::testing {

namespace {

constexpr const char* kIndexType = "application/vnd.oci.image.index.v1+json";

// "/v2/<name>/<kind>/<rest>" as (name, rest); none when path is not of that shape.
std::optional<std::pair<std::string, std::string>> split_path(const std::string& path,
                                                              const std::string& kind) {
  const std::string marker = "/" + kind + "/";
  auto at = path.rfind(marker);
  if (path.rfind("/v2/", 0) != 0 || at == std::string::npos || at <= 4)
    return std::nullopt;
  std::string rest = path.substr(at + marker.size());
  if (rest.empty() || rest.find('/') != std::string::npos)
    return std::nullopt;
  return std::make_pair(path.substr(4, at - 4), rest);
}

std::string reply_header(const ServerReply& reply, const std::string& name) {
  for (const auto& [n, v] : reply.headers)
    if (lower(n) == name)
      return v;
  return "";
}

} // namespace

bool ReferrersIndex::is_listing(const ServerRequest& request) {
  return request.method == "GET" && split_path(request.path, "referrers").has_value();
}

ServerReply ReferrersIndex::answer(const ServerRequest& request) {
  auto where = split_path(request.path, "referrers");
  std::vector<std::string> wanted =
      options_.filter ? request.query_values("artifactType") : std::vector<std::string>{};
  auto start_param = request.query_values("_start");
  std::size_t start =
      start_param.empty() ? 0 : std::strtoull(start_param.front().c_str(), nullptr, 10);

  std::vector<std::string> listed;
  {
    std::lock_guard lock(mu_);
    ++served_;
    if (auto it = records_.find(*where); it != records_.end())
      for (const auto& r : it->second)
        if (wanted.empty() || r.artifact_type == wanted.front())
          listed.push_back(r.descriptor);
  }
  std::size_t end = listed.size();
  if (options_.page_size > 0)
    end = std::min(end, start + options_.page_size);
  start = std::min(start, end);

  ServerReply reply;
  reply.headers = {{"Content-Type", kIndexType},
                   {"Docker-Distribution-Api-Version", "registry/2.0"}};
  if (!wanted.empty())
    reply.headers.emplace_back("OCI-Filters-Applied", "artifactType");
  if (end < listed.size()) {
    std::string next = request.path + "?";
    if (!wanted.empty())
      next += "artifactType=" + registry::detail::url_encode(wanted.front()) + "&";
    next += "_start=" + std::to_string(end);
    reply.headers.emplace_back("Link", "<" + next + ">; rel=\"next\"");
  }
  reply.body =
      std::string(R"({"schemaVersion":2,"mediaType":")") + kIndexType + R"(","manifests":[)";
  for (std::size_t i = start; i < end; ++i)
    reply.body += (i > start ? "," : "") + listed[i];
  reply.body += "]}";
  return reply;
}

void ReferrersIndex::observe(const ServerRequest& request, ServerReply& reply) {
  if (reply.status < 200 || reply.status > 299)
    return;
  auto where = split_path(request.path, "manifests");
  if (!where)
    return;
  if (request.method == "DELETE") {
    std::lock_guard lock(mu_);
    for (auto& [key, list] : records_)
      if (key.first == where->first)
        std::erase_if(list, [&](const Record& r) { return r.digest == where->second; });
    return;
  }
  if (request.method != "PUT")
    return;
  auto manifest = nlohmann::json::parse(request.body, nullptr, false);
  if (!manifest.is_object() || !manifest.contains("subject") || !manifest["subject"].is_object() ||
      !manifest["subject"].contains("digest") || !manifest["subject"]["digest"].is_string())
    return;
  const std::string subject = manifest["subject"]["digest"].get<std::string>();

  // The descriptor as distribution-spec v1.1 lists it: the referrer's artifactType, else its
  // config's media type; its annotations.
  nlohmann::ordered_json d;
  d["mediaType"] = manifest.contains("mediaType") && manifest["mediaType"].is_string()
                       ? manifest["mediaType"].get<std::string>()
                       : request.header("content-type");
  std::string digest = reply_header(reply, "docker-content-digest");
  if (digest.empty())
    digest = common::sha256_digest(request.body);
  d["digest"] = digest;
  d["size"] = request.body.size();
  std::string artifact_type;
  if (manifest.contains("artifactType") && manifest["artifactType"].is_string())
    artifact_type = manifest["artifactType"].get<std::string>();
  else if (manifest.contains("config") && manifest["config"].is_object() &&
           manifest["config"].contains("mediaType") && manifest["config"]["mediaType"].is_string())
    artifact_type = manifest["config"]["mediaType"].get<std::string>();
  if (!artifact_type.empty())
    d["artifactType"] = artifact_type;
  if (manifest.contains("annotations") && manifest["annotations"].is_object())
    d["annotations"] = manifest["annotations"];

  {
    std::lock_guard lock(mu_);
    auto& list = records_[{where->first, subject}];
    Record record{digest, d.dump(), artifact_type};
    auto same =
        std::find_if(list.begin(), list.end(), [&](const Record& r) { return r.digest == digest; });
    if (same != list.end())
      *same = std::move(record); // pushed again (by tag, then by digest): listed once
    else
      list.push_back(std::move(record));
  }
  reply.headers.emplace_back("OCI-Subject", subject);
}

std::size_t ReferrersIndex::served() const {
  std::lock_guard lock(mu_);
  return served_;
}

std::vector<std::string> ReferrersIndex::referrers(const std::string& repo,
                                                   const std::string& subject) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  if (auto it = records_.find({repo, subject}); it != records_.end())
    for (const auto& r : it->second)
      out.push_back(r.digest);
  return out;
}

} // namespace isign::testing
