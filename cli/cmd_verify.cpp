#include <algorithm>
#include <future>
#include <iostream>
#include <optional>

#include "cli/annotations.h"
#include "cli/cli.h"
#include "cli/key_source.h"
#include "cli/registry_options.h"
#include "common/file.h"
#include "verify/image_verifier.h"

namespace isign::cli {

namespace {

constexpr std::string_view kName = "verify";

common::Result<std::vector<keys::PublicKey>> load_public_keys(const std::vector<std::string>& paths) {
  std::vector<keys::PublicKey> out;
  for (const auto& path : paths) {
    std::string context = "loading public key '" + path + "'";
    auto pem = read_key_source(path);
    if (!pem) return std::move(pem).error().context(context);
    auto key = keys::PublicKey::from_pem(*pem);
    if (!key) return std::move(key).error().context(context);
    out.push_back(std::move(*key));
  }
  return out;
}

// The JSON array cosign prints: the verified payloads, each exactly as signed.
std::string payload_array(const verify::Report& report) {
  std::string out = "[";
  for (auto i : report.valid()) {
    if (out.size() > 1) out += ',';
    out += report.signatures[i].payload_bytes;
  }
  return out + "]";
}

} // namespace

int cmd_verify(int argc, char** argv) {
  cxxopts::Options opts(std::string(kName),
                        "Verify the signatures of images against public keys. An image passes "
                        "when at least one signature layer is valid.\n"
                        "Usage: isign verify --key cosign.pub [flags] REF...");
  opts.add_options()("key", "a public key (PEM); repeat for several accepted keys",
                     cxxopts::value<std::vector<std::string>>(), "FILE")(
      "a,annotations", "require optional.KEY == VALUE in the signed payload (repeatable)",
      cxxopts::value<std::vector<std::string>>(), "KEY=VALUE")(
      "o,output", "json (the verified payloads, as cosign) or text",
      cxxopts::value<std::string>()->default_value("json"), "FORMAT")(
      "skip-identity-check",
      "accept signatures whose docker-reference names another repository (mirrors)")(
      "threshold", "require valid signatures from at least N distinct keys of those given",
      cxxopts::value<std::size_t>()->default_value("1"), "N")(
      "max-signature-layers", "refuse .sig artifacts with more layers than N",
      cxxopts::value<std::size_t>()->default_value("100"), "N")(
      "images", "image references", cxxopts::value<std::vector<std::string>>())(
      "h,help", "show this help");
  add_registry_options(opts);
  opts.parse_positional({"images"});
  opts.positional_help("REF...");
  int exit = kOk;
  auto args = parse(opts, argc, argv, &exit);
  if (!args) return exit;
  if (!args->count("key")) return usage_error(kName, "--key FILE is required");
  if (!args->count("images")) return usage_error(kName, "no image reference given");
  const std::string output = (*args)["output"].as<std::string>();
  if (output != "json" && output != "text")
    return usage_error(kName, "--output must be json or text, not '" + output + "'");
  const auto inputs = (*args)["images"].as<std::vector<std::string>>();
  std::vector<registry::Reference> refs;
  for (const auto& in : inputs) {
    auto ref = registry::Reference::parse(in);
    if (!ref) return report(ref.error());
    refs.push_back(std::move(*ref));
  }
  verify::VerifyOptions options;
  if (args->count("annotations")) {
    auto parsed = parse_annotations((*args)["annotations"].as<std::vector<std::string>>());
    if (!parsed) return report(parsed.error());
    options.required_annotations = std::move(*parsed);
  }
  if (args->count("skip-identity-check")) options.identity = verify::IdentityRule::none;
  options.limits.max_layers = (*args)["max-signature-layers"].as<std::size_t>();
  auto keys = load_public_keys((*args)["key"].as<std::vector<std::string>>());
  if (!keys) return report(keys.error());
  options.threshold = (*args)["threshold"].as<std::size_t>();
  {
    std::vector<std::string> distinct;
    for (const auto& k : *keys)
      if (auto id = verify::key_id(k); std::find(distinct.begin(), distinct.end(), id) == distinct.end())
        distinct.push_back(id);
    if (options.threshold == 0)
      return usage_error(kName, "--threshold must be at least 1");
    if (options.threshold > distinct.size())
      return usage_error(kName, "--threshold " + std::to_string(options.threshold) + " needs " +
                                    std::to_string(options.threshold) + " distinct keys, but " +
                                    std::to_string(distinct.size()) + " were given with --key");
  }
  auto client = make_client(*args);
  if (!client) return report(client.error());

  // Several images are checked concurrently over the one client (shared connections and tokens),
  // a bounded number at a time; results are printed in the order given.
  constexpr std::size_t kParallel = 8;
  std::vector<common::Result<verify::ImageVerification>> results;
  results.reserve(refs.size());
  for (std::size_t start = 0; start < refs.size(); start += kParallel) {
    std::vector<std::future<common::Result<verify::ImageVerification>>> batch;
    for (std::size_t i = start; i < std::min(refs.size(), start + kParallel); ++i)
      batch.push_back(std::async(std::launch::async, [&, i] {
        return verify::verify_image(**client, refs[i], *keys, options);
      }));
    for (auto& f : batch) results.push_back(f.get());
  }

  int first_failure = kOk;
  for (std::size_t i = 0; i < refs.size(); ++i) {
    auto& r = results[i];
    const std::string& input = inputs[i];
    if (r && r->named_by_tag)
      warn("'" + input + "' names the image by tag, and a tag can be moved to another image at "
           "any time. Verified the digest it points to now: " + refs[i].repository.str() + "@" +
           r->digest + ".");
    std::optional<common::Error> error;
    if (!r) {
      error = r.error();
    } else if (!r->report.verified()) {
      error = r->report.failure_error();
    } else {
      std::cerr << "\nVerification for " << input << " --\n"
                << "The following checks were performed on each of these signatures:\n"
                << "  - The cosign claims were validated (type, image digest"
                << (options.identity == verify::IdentityRule::none ? "" : ", repository")
                << (options.required_annotations.empty() ? "" : ", annotations") << ")\n"
                << "  - The signatures were verified against the specified public key\n";
      if (output == "json") {
        std::cout << payload_array(r->report) << '\n';
      } else {
        for (auto v : r->report.valid()) std::cout << r->report.signatures[v].payload_bytes << '\n';
      }
      std::cerr << "isign: verified " << refs[i].repository.str() << "@" << r->digest << " ("
                << r->report.valid().size() << " valid of " << r->report.signatures.size()
                << " signatures)\n";
      continue;
    }
    int code = report(std::move(*error).context("verifying '" + input + "'"));
    if (first_failure == kOk) first_failure = code;
  }
  std::cout << std::flush;
  return first_failure;
}

} // namespace isign::cli
