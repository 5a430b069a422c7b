#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/annotations.h"
#include "cli/cli.h"
#include "cli/key_source.h"
#include "common/parallel.h"
#include "cli/registry_options.h"
#include "common/file.h"
#include "registry/resolve.h"
#include "verify/image_verifier.h"
#include "verify/policy.h"

namespace isign::cli {

namespace {

constexpr std::string_view kName = "verify";
// Version of the --output json document (README.md, "Verification reports").
constexpr int kReportSchemaVersion = 1;

common::Result<std::vector<keys::PublicKey>>
load_public_keys(const std::vector<std::string>& paths) {
  std::vector<keys::PublicKey> out;
  for (const auto& path : paths) {
    std::string context = "loading public key '" + path + "'";
    auto pem = read_key_source(path);
    if (!pem)
      return std::move(pem).error().context(context);
    auto key = keys::PublicKey::from_pem(*pem);
    if (!key)
      return std::move(key).error().context(context);
    out.push_back(std::move(*key));
  }
  return out;
}

std::size_t distinct_keys(const std::vector<keys::PublicKey>& keys) {
  std::vector<std::string> ids;
  for (const auto& k : keys)
    if (auto id = verify::key_id(k); std::find(ids.begin(), ids.end(), id) == ids.end())
      ids.push_back(id);
  return ids.size();
}

// The stable status names of the report (README.md, "Verification reports").
std::string status_for(const common::Error& e, bool rejected) {
  using common::ErrorKind;
  switch (e.kind()) {
  case ErrorKind::verification:
    return rejected ? "rejected" : "invalid";
  case ErrorKind::no_signature:
    return "no-signature";
  case ErrorKind::not_found:
    return "not-found";
  case ErrorKind::network:
    return "network-error";
  case ErrorKind::registry:
    return "registry-error";
  case ErrorKind::throttled:
    return "throttled";
  case ErrorKind::limit:
    return "limit";
  case ErrorKind::usage:
    return "usage";
  default:
    return "error";
  }
}

std::string role_name(registry::Target::Role role) {
  switch (role) {
  case registry::Target::Role::index:
    return "index";
  case registry::Target::Role::child:
    return "child";
  default:
    return "image";
  }
}

// How a target is named in messages: "child linux/arm64 (sha256:...)".
std::string target_label(const registry::Target& t) {
  std::string out = role_name(t.role);
  if (t.platform)
    out += " " + t.platform->str();
  return out + " (" + t.digest + ")";
}

// What one reference came to.
struct RefOutcome {
  const verify::Rule* rule = nullptr;
  std::optional<common::Error> error;           // resolving failed (nothing verified)
  std::optional<registry::Resolution> resolution; // none when the rule alone decides
  std::vector<registry::Target> targets;
  std::vector<verify::TargetResult> results; // one per target

  // The first failure: resolution, then the targets in order.
  const common::Error* failure(bool* rejected) const {
    *rejected = false;
    if (error)
      return &*error;
    for (const auto& r : results)
      if (r.error) {
        *rejected = r.rejected_by_policy;
        return &*r.error;
      }
    return nullptr;
  }
};

// A layer's outcome across requirements: valid under one if any, else as the first judged it.
const verify::LayerResult* layer_view(const verify::TargetResult& r, std::size_t layer) {
  const verify::LayerResult* first = nullptr;
  for (const auto& report : r.reports) {
    if (layer >= report.signatures.size())
      continue;
    const auto& s = report.signatures[layer];
    if (s.ok())
      return &s;
    if (!first)
      first = &s;
  }
  return first;
}

nlohmann::ordered_json target_json(const verify::TargetResult& r, const verify::Rule& rule) {
  using nlohmann::ordered_json;
  ordered_json t;
  t["digest"] = r.target.digest.empty() ? ordered_json() : ordered_json(r.target.digest);
  t["mediaType"] = r.target.media_type.empty() ? ordered_json() : ordered_json(r.target.media_type);
  t["role"] = role_name(r.target.role);
  if (r.target.platform)
    t["platform"] = {{"os", r.target.platform->os},
                     {"architecture", r.target.platform->architecture},
                     {"variant", r.target.platform->variant}};
  else
    t["platform"] = nullptr;
  t["status"] = r.error ? status_for(*r.error, r.rejected_by_policy)
                        : (r.accepted_unsigned ? "accepted" : "verified");
  t["exitCode"] = r.error ? exit_code_for(r.error->kind()) : kOk;
  t["error"] = r.error ? ordered_json(r.error->message()) : ordered_json();
  ordered_json reqs = ordered_json::array();
  for (std::size_t i = 0; i < rule.requirements.size(); ++i) {
    const auto& req = rule.requirements[i];
    ordered_json q;
    q["type"] = verify::requirement_type_name(req);
    if (req.type == verify::Requirement::Type::signed_by) {
      const auto& rep = r.reports[i];
      q["threshold"] = req.options.threshold == 0 ? 1 : req.options.threshold;
      q["identity"] = verify::identity_rule_name(req.options.identity);
      q["validKeys"] = rep.valid_keys();
      q["satisfied"] = rep.verified();
    }
    reqs.push_back(std::move(q));
  }
  t["requirements"] = std::move(reqs);
  std::size_t layers = 0;
  for (const auto& rep : r.reports)
    layers = std::max(layers, rep.signatures.size());
  ordered_json sigs = ordered_json::array();
  for (std::size_t l = 0; l < layers; ++l) {
    const auto* s = layer_view(r, l);
    if (!s)
      continue;
    ordered_json j;
    j["index"] = s->index;
    j["payloadDigest"] =
        s->payload_digest.empty() ? ordered_json() : ordered_json(s->payload_digest);
    j["status"] = s->ok() ? "valid" : "invalid";
    j["reason"] = s->ok() ? ordered_json() : ordered_json(verify::failure_name(s->failure));
    j["message"] = s->ok() ? ordered_json() : ordered_json(s->reason);
    j["keyId"] = s->key_id.empty() ? ordered_json() : ordered_json(s->key_id);
    // The signed payload of a valid signature, as JSON (verified: the strict parser read it).
    j["payload"] = s->ok() ? ordered_json::parse(s->payload_bytes, nullptr, false) : ordered_json();
    sigs.push_back(std::move(j));
  }
  t["signatures"] = std::move(sigs);
  return t;
}

std::string report_document(const std::vector<std::string>& inputs,
                            const std::vector<RefOutcome>& outcomes, int exit_code) {
  using nlohmann::ordered_json;
  ordered_json doc;
  doc["schemaVersion"] = kReportSchemaVersion;
  doc["exitCode"] = exit_code;
  ordered_json results = ordered_json::array();
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto& o = outcomes[i];
    ordered_json r;
    r["reference"] = inputs[i];
    r["scope"] = o.rule->scope;
    r["digest"] = o.resolution ? ordered_json(o.resolution->digest) : ordered_json();
    r["mediaType"] = o.resolution ? ordered_json(o.resolution->media_type) : ordered_json();
    bool rejected = false;
    const common::Error* e = o.failure(&rejected);
    bool accepted = !o.results.empty();
    for (const auto& t : o.results)
      accepted = accepted && t.accepted_unsigned;
    r["status"] = e ? status_for(*e, rejected) : (accepted ? "accepted" : "verified");
    r["exitCode"] = e ? exit_code_for(e->kind()) : kOk;
    r["error"] = e ? ordered_json(e->message()) : ordered_json();
    ordered_json manifests = ordered_json::array();
    for (const auto& t : o.results)
      manifests.push_back(target_json(t, *o.rule));
    r["manifests"] = std::move(manifests);
    results.push_back(std::move(r));
  }
  doc["results"] = std::move(results);
  // error_handler replace: registry text in messages may not be UTF-8.
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
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

// This process's peak resident set (VmHWM), for ISIGN_DEBUG_STATS. getrusage's ru_maxrss would
// include the parent's pages at fork time (Linux keeps the pre-exec high-water mark).
std::optional<long> peak_rss_kib() {
  auto status = common::read_file("/proc/self/status", 1u << 16);
  if (!status)
    return std::nullopt;
  auto pos = status->find("VmHWM:");
  if (pos == std::string::npos)
    return std::nullopt;
  return std::strtol(status->c_str() + pos + 6, nullptr, 10);
}

} // namespace

int cmd_verify(int argc, char** argv) {
  cxxopts::Options opts(std::string(kName),
                        "Verify the signatures of images against public keys or a policy. An "
                        "image passes when valid signatures from at least --threshold distinct "
                        "keys (default 1) are found.\n"
                        "Usage: isign verify --key cosign.pub [flags] REF...\n"
                        "       isign verify --policy policy.json [flags] REF...");
  opts.add_options()("key", "a public key (PEM); repeat for several accepted keys",
                     cxxopts::value<std::vector<std::string>>(), "FILE")(
      "threshold", "require valid signatures from at least N distinct keys of those given",
      cxxopts::value<std::size_t>()->default_value("1"),
      "N")("policy",
           "check each image against the rule of its scope in this policy file (isign or "
           "containers-policy.json format) instead of --key",
           cxxopts::value<std::string>(), "FILE")(
      "a,annotations", "require optional.KEY == VALUE in the signed payload (repeatable)",
      cxxopts::value<std::vector<std::string>>(), "KEY=VALUE")(
      "o,output",
      "cosign (the verified payloads as one JSON array, as cosign prints them), text (one "
      "payload per line), or json (the versioned report of every result, failures included)",
      cxxopts::value<std::string>()->default_value("cosign"),
      "FORMAT")("report", "also write the JSON report (as --output json) to FILE",
                cxxopts::value<std::string>(), "FILE")(
      "recursive", "for an image index, verify the index and every child manifest")(
      "platform", "for an image index, verify the child this platform pulls",
      cxxopts::value<std::string>(), "OS/ARCH[/VARIANT]")(
      "skip-identity-check",
      "accept signatures whose docker-reference names another repository (mirrors)")(
      "max-signature-layers", "refuse .sig artifacts with more layers than N",
      cxxopts::value<std::size_t>()->default_value("100"),
      "N")("max-payload-size", "do not fetch signature payloads larger than BYTES",
           cxxopts::value<std::size_t>()->default_value("1048576"),
           "BYTES")("images", "image references",
                    cxxopts::value<std::vector<std::string>>())("h,help", "show this help");
  add_registry_options(opts);
  opts.parse_positional({"images"});
  opts.positional_help("REF...");
  int exit = kOk;
  auto args = parse(opts, argc, argv, &exit);
  if (!args)
    return exit;
  const bool use_policy = args->count("policy") > 0;
  if (use_policy) {
    for (const char* flag : {"key", "threshold", "annotations", "skip-identity-check"})
      if (args->count(flag))
        return usage_error(kName, std::string("--") + flag +
                                      " cannot be combined with --policy: the policy says which "
                                      "keys, threshold, annotations and identity rule apply");
  } else if (!args->count("key")) {
    return usage_error(kName, "--key FILE or --policy FILE is required");
  }
  if (!args->count("images"))
    return usage_error(kName, "no image reference given");
  const std::string output = (*args)["output"].as<std::string>();
  if (output != "cosign" && output != "text" && output != "json")
    return usage_error(kName, "--output must be cosign, text or json, not '" + output + "'");
  registry::Selection selection;
  selection.recursive = args->count("recursive") > 0;
  if (args->count("platform")) {
    if (selection.recursive)
      return usage_error(kName, "--platform and --recursive exclude each other: --recursive "
                                "verifies every child, --platform the one a node pulls");
    auto platform = registry::Platform::parse((*args)["platform"].as<std::string>());
    if (!platform)
      return report(platform.error());
    selection.platform = std::move(*platform);
  }
  verify::Limits limits;
  limits.max_layers = (*args)["max-signature-layers"].as<std::size_t>();
  limits.max_payload_size = (*args)["max-payload-size"].as<std::size_t>();
  if (limits.max_layers == 0)
    return usage_error(kName, "--max-signature-layers must be at least 1");

  const auto inputs = (*args)["images"].as<std::vector<std::string>>();
  auto parsed_refs = parse_references(inputs);
  if (!parsed_refs)
    return report(parsed_refs.error());
  const std::vector<registry::Reference> refs = std::move(*parsed_refs);

  // The rules: the policy's, or one rule made of the flags.
  verify::Policy policy;
  if (use_policy) {
    const std::string path = (*args)["policy"].as<std::string>();
    auto loaded = verify::load_policy_file(path);
    if (!loaded)
      return report(std::move(loaded).error().context("policy '" + path + "'"));
    policy = std::move(*loaded);
  } else {
    verify::Requirement req;
    if (args->count("annotations")) {
      auto parsed = parse_annotations((*args)["annotations"].as<std::vector<std::string>>());
      if (!parsed)
        return report(parsed.error());
      req.options.required_annotations = std::move(*parsed);
    }
    if (args->count("skip-identity-check"))
      req.options.identity = verify::IdentityRule::none;
    auto keys = load_public_keys((*args)["key"].as<std::vector<std::string>>());
    if (!keys)
      return report(keys.error());
    req.options.threshold = (*args)["threshold"].as<std::size_t>();
    const std::size_t distinct = distinct_keys(*keys);
    if (req.options.threshold == 0)
      return usage_error(kName, "--threshold must be at least 1");
    if (req.options.threshold > distinct)
      return usage_error(kName, "--threshold " + std::to_string(req.options.threshold) + " needs " +
                                    std::to_string(req.options.threshold) + " distinct keys, but " +
                                    std::to_string(distinct) + " were given with --key");
    req.keys = std::move(*keys);
    policy.default_rule.scope = "--key";
    policy.default_rule.requirements.push_back(std::move(req));
  }

  auto client = make_client(*args);
  if (!client)
    return report(client.error());
  const bool stats = [] {
    const char* v = std::getenv("ISIGN_DEBUG_STATS");
    return v && std::string_view(v) == "1";
  }();

  // 1. Resolve every reference to its targets, concurrently over the one client (shared
  //    connections and tokens).
  std::vector<RefOutcome> outcomes(refs.size());
  common::parallel_for(refs.size(), kParallelImages, [&](std::size_t i) {
    auto& o = outcomes[i];
    o.rule = &policy.rule_for(refs[i]);
    if (!verify::rule_needs_registry(*o.rule)) {
      o.targets.push_back(registry::Target{}); // judged by the rule alone
      return;
    }
    auto resolved = registry::resolve_targets(**client, refs[i], selection);
    if (!resolved) {
      o.error = std::move(resolved).error();
      return;
    }
    o.targets = resolved->targets;
    o.resolution = std::move(*resolved);
  });

  // 2. Verify every target of every reference, again concurrently: an index's children are
  //    checked side by side.
  std::vector<std::pair<std::size_t, std::size_t>> jobs;
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    outcomes[i].results.resize(outcomes[i].targets.size());
    for (std::size_t t = 0; t < outcomes[i].targets.size(); ++t)
      jobs.emplace_back(i, t);
  }
  common::parallel_for(jobs.size(), kParallelImages, [&](std::size_t j) {
    auto [i, t] = jobs[j];
    auto& o = outcomes[i];
    o.results[t] = verify::verify_target(**client, refs[i], o.targets[t], *o.rule, limits);
  });

  // 3. Print, in the order given.
  int first_failure = kOk;
  for (std::size_t i = 0; i < refs.size(); ++i) {
    const auto& o = outcomes[i];
    const std::string& input = inputs[i];
    if (o.error) {
      int code = report(common::Error(*o.error).context("verifying '" + input + "'"));
      if (first_failure == kOk)
        first_failure = code;
      continue;
    }
    if (o.resolution && !refs[i].by_digest())
      warn("'" + input +
           "' names the image by tag, and a tag can be moved to another image at "
           "any time. Verified the digest it points to now: " +
           refs[i].repository.str() + "@" + o.resolution->digest + ".");
    if (o.resolution && o.resolution->is_index && !selection.recursive && !selection.platform)
      warn("'" + input +
           "' is an image index: verified the index itself, not its children "
           "(--recursive verifies every child, --platform OS/ARCH the one a node pulls)");
    if (o.resolution && !o.resolution->is_index && selection.platform)
      warn("'" + input + "' is a single image, not an index: verified it as it is for --platform " +
           selection.platform->str());
    bool all_ok = true;
    std::size_t children = 0, children_ok = 0;
    std::string failed_children;
    for (const auto& r : o.results) {
      const bool child = r.target.role == registry::Target::Role::child && selection.recursive;
      if (child)
        ++children;
      if (r.error) {
        all_ok = false;
        std::string what = "verifying '" + input + "'";
        if (o.targets.size() > 1 || r.target.role == registry::Target::Role::child)
          what += " " + target_label(r.target);
        int code = report(common::Error(*r.error).context(what));
        if (first_failure == kOk)
          first_failure = code;
        if (child)
          failed_children += (failed_children.empty() ? "" : ", ") +
                             (r.target.platform ? r.target.platform->str() : std::string("?")) +
                             " (" + r.target.digest + ")";
        continue;
      }
      if (child)
        ++children_ok;
      if (r.accepted_unsigned) {
        warn("'" + input + "': " +
             (o.rule->scope == "default" ? std::string("the policy's default")
                                         : "the policy's scope '" + o.rule->scope + "'") +
             " accepts any image without verification (insecureAcceptAnything)");
        continue;
      }
      // The label holds the index's platform strings: the registry's text, made printable.
      const bool labelled = o.targets.size() > 1 || r.target.role == registry::Target::Role::child;
      std::cerr << "isign: verified "
                << one_line((labelled ? target_label(r.target) + " of " : std::string()) +
                            refs[i].repository.str() + "@" + r.target.digest)
                << " (" << valid_count(r) << " valid of " << signature_count(r) << " signatures)\n";
    }
    if (selection.recursive && children > 0)
      std::cerr << "isign: '" << one_line(input) << "': " << children_ok << " of " << children
                << " children verified"
                << (failed_children.empty() ? "" : "; failed: " + one_line(failed_children))
                << "\n";
    if (!all_ok || output == "json")
      continue;
    bool any_signed = false;
    for (const auto& r : o.results)
      any_signed = any_signed || !r.accepted_unsigned;
    if (!any_signed)
      continue;
    const auto& req = o.rule->requirements.front();
    std::cerr << "\nVerification for " << one_line(input) << " --\n"
              << "The following checks were performed on each of these signatures:\n"
              << "  - The cosign claims were validated (type, image digest"
              << (req.options.identity == verify::IdentityRule::none ? "" : ", identity")
              << (req.options.required_annotations.empty() ? "" : ", annotations") << ")\n"
              << "  - The signatures were verified against the specified public key"
              << (use_policy ? "s of the policy" : "") << "\n";
    for (const auto& r : o.results) {
      if (r.accepted_unsigned)
        continue;
      if (output == "cosign") {
        std::cout << payload_array(r) << '\n';
      } else {
        for (const auto& report : r.reports)
          for (auto v : report.valid())
            std::cout << report.signatures[v].payload_bytes << '\n';
      }
    }
  }

  if (output == "json" || args->count("report")) {
    const std::string doc = report_document(inputs, outcomes, first_failure) + "\n";
    if (output == "json")
      std::cout << doc;
    if (args->count("report")) {
      const std::string path = (*args)["report"].as<std::string>();
      auto written = common::write_file_atomic(path, doc, 0644, common::Overwrite::yes);
      if (!written) {
        int code = report(std::move(written).error().context("writing the report"));
        if (first_failure == kOk)
          first_failure = code;
      }
    }
  }
  std::cout << std::flush;
  if (stats) {
    std::cerr << "requests: " << (*client)->request_count() << "\n";
    if (auto kib = peak_rss_kib())
      std::cerr << "peak-rss-kib: " << *kib << "\n";
  }
  return first_failure;
}

} // namespace isign::cli
