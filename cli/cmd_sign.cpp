#include <algorithm>
#include <cmath>
#include <mutex>
#include <optional>
#include <iostream>

#include "cli/annotations.h"
#include "cli/cli.h"
#include "common/parallel.h"
#include "cli/password.h"
#include "cli/registry_options.h"
#include "common/file.h"
#include "registry/resolve.h"
#include "sign/signer.h"

namespace isign::cli {

namespace {

constexpr std::string_view kName = "sign";

std::string tag_warning(const std::string& input, const registry::Reference& ref,
                        const registry::Target& t) {
  return "isign: warning: '" + input +
         "' names the image by tag, and a tag can be moved to another image at any time. "
         "Signing the digest it points to now: " +
         ref.repository.str() + "@" + t.digest + ". Name images by digest to be sure what you sign.\n";
}

std::string sig_tag_for(const std::string& digest) {
  auto tag = sign::signature_tag(digest);
  return tag ? *tag : digest;
}

struct Outputs {
  std::string signature_file;
  std::string payload_file;
};

} // namespace

int cmd_sign(int argc, char** argv) {
  cxxopts::Options opts(std::string(kName),
                        "Sign image manifest digests and push each signature to "
                        "REPO:sha256-<hex>.sig in the image's repository (cosign's layout).\n"
                        "Usage: isign sign --key cosign.key [flags] REF...");
  opts.add_options()("key", "the encrypted private key", cxxopts::value<std::string>(), "FILE")(
      "a,annotations", "extra key=value pairs to sign (repeatable)",
      cxxopts::value<std::vector<std::string>>(), "KEY=VALUE")(
      "recursive", "for an image index, also sign every child manifest")(
      "upload", "push the signature to the registry (--upload=false: only write the outputs)",
      cxxopts::value<bool>()->default_value("true")->implicit_value("true"))(
      "output-signature", "write the base64 signature to FILE", cxxopts::value<std::string>(),
      "FILE")("output-payload", "write the signed payload to FILE", cxxopts::value<std::string>(),
              "FILE")(
      "tlog-upload", "accepted for cosign compatibility; isign has no transparency log",
      cxxopts::value<bool>()->default_value("false")->implicit_value("true"))(
      "y,yes", "accepted for cosign compatibility; isign never asks for confirmation")(
      "images", "image references", cxxopts::value<std::vector<std::string>>())(
      "h,help", "show this help");
  add_password_file_option(opts);
  add_registry_options(opts);
  opts.parse_positional({"images"});
  opts.positional_help("REF...");
  int exit = kOk;
  auto args = parse(opts, argc, argv, &exit);
  if (!args) return exit;
  if (!args->count("key")) return usage_error(kName, "--key FILE is required");
  if (!args->count("images")) return usage_error(kName, "no image reference given");
  const auto inputs = (*args)["images"].as<std::vector<std::string>>();
  auto parsed_refs = parse_references(inputs);
  if (!parsed_refs) return report(parsed_refs.error());
  const std::vector<registry::Reference> refs = std::move(*parsed_refs);
  sign::Annotations annotations;
  if (args->count("annotations")) {
    auto parsed = parse_annotations((*args)["annotations"].as<std::vector<std::string>>());
    if (!parsed) return report(parsed.error());
    annotations = std::move(*parsed);
  }
  Outputs outputs;
  if (args->count("output-signature"))
    outputs.signature_file = (*args)["output-signature"].as<std::string>();
  if (args->count("output-payload"))
    outputs.payload_file = (*args)["output-payload"].as<std::string>();
  const bool upload = (*args)["upload"].as<bool>();
  const bool recursive = args->count("recursive") > 0;
  const bool writes_outputs = !outputs.signature_file.empty() || !outputs.payload_file.empty();
  if (writes_outputs && (refs.size() > 1 || recursive))
    return usage_error(kName, "--output-signature/--output-payload take exactly one image "
                              "(and no --recursive)");

  // The key first: a wrong password must stop us before anything touches the registry.
  auto key = load_private_key((*args)["key"].as<std::string>(),
                              (*args)["password-file"].as<std::string>());
  if (!key) return report(key.error());
  const keys::PublicKey public_key = key->public_key();
  sign::AttachOptions attach_options;
  attach_options.signer_key = &public_key;
  auto client = make_client(*args);
  if (!client) return report(client.error());
  // A PUT given up on after --timeout (validated by make_client: 0.001 to 3600 s) may land up to
  // about as long again later.
  attach_options.unknown_outcome_window = std::chrono::milliseconds(std::lround(
      std::clamp(3000 * seconds_option(*args, "timeout").value(), 2000.0, 30000.0)));

  // Each reference is signed on its own thread (a bounded number at a time) over the one client;
  // what each prints is collected and shown in the order the references were given.
  struct Outcome {
    std::string messages;
    std::vector<common::Error> errors;
  };
  auto sign_ref = [&](std::size_t i) {
    Outcome out;
    const auto& ref = refs[i];
    registry::Selection selection;
    selection.recursive = recursive;
    auto resolved = registry::resolve_targets(**client, ref, selection);
    if (!resolved) {
      out.errors.push_back(std::move(resolved).error().context("signing '" + inputs[i] + "'"));
      return out;
    }
    for (const auto& t : resolved->targets) {
      std::string name = ref.repository.str() + "@" + t.digest;
      auto failed = [&](common::Error e, const std::string& what) {
        out.errors.push_back(std::move(e).context(what));
      };
      // Index children are named by digest in the index: only what the user named can be a tag.
      if (!ref.by_digest() && t.role != registry::Target::Role::child)
        out.messages += tag_warning(inputs[i], ref, t);
      auto payload = sign::make_payload(ref.repository.str(), t.digest, annotations);
      if (!payload) {
        failed(std::move(payload).error(), "signing '" + name + "'");
        continue;
      }
      auto signature = sign::sign_payload(*key, *payload);
      if (!signature) {
        failed(std::move(signature).error(), "signing '" + name + "'");
        continue;
      }
      if (!outputs.signature_file.empty()) {
        if (auto w = common::write_file_atomic(outputs.signature_file, *signature, 0644,
                                               common::Overwrite::yes);
            !w) {
          failed(std::move(w).error(), "writing the signature");
          continue;
        }
      }
      if (!outputs.payload_file.empty()) {
        if (auto w = common::write_file_atomic(outputs.payload_file, *payload, 0644,
                                               common::Overwrite::yes);
            !w) {
          failed(std::move(w).error(), "writing the payload");
          continue;
        }
      }
      if (!upload) continue;
      out.messages += "Pushing signature to: " + ref.repository.str() + "\n";
      auto attached = sign::attach_signature(**client, ref.repository, t.digest,
                                             {*payload, *signature}, attach_options);
      if (!attached) {
        failed(std::move(attached).error(), "signing '" + name + "'");
        continue;
      }
      // Notes quote the registry's error text: one printable line each.
      for (const auto& note : attached->notes)
        out.messages += "isign: warning: " + one_line(note) + "\n";
      switch (attached->outcome) {
      case sign::AttachOutcome::already_present:
        out.messages += "isign: " + name +
                        " already has this signature (same key and annotations); nothing pushed\n";
        break;
      case sign::AttachOutcome::repaired:
        out.messages += "isign: " + name +
                        " already had this signature, but its payload blob was missing; "
                        "uploaded it again\n";
        break;
      case sign::AttachOutcome::created:
        out.messages += "isign: created " + ref.repository.str() + ":" + sig_tag_for(t.digest) +
                        " (the registry had no signatures for this image; confirmed by its tag "
                        "list and a second read)\n";
        break;
      case sign::AttachOutcome::attached:
        break;
      }
    }
    return out;
  };

  // Signed concurrently; each outcome is printed as soon as those before it have been.
  std::vector<std::optional<Outcome>> outcomes(refs.size());
  std::mutex print_mutex;
  std::size_t next_to_print = 0;
  int first_failure = kOk;
  common::parallel_for(refs.size(), kParallelImages, [&](std::size_t i) {
    Outcome done = sign_ref(i);
    std::lock_guard lock(print_mutex);
    outcomes[i] = std::move(done);
    for (; next_to_print < outcomes.size() && outcomes[next_to_print]; ++next_to_print) {
      const Outcome& o = *outcomes[next_to_print];
      std::cerr << o.messages;
      for (const auto& e : o.errors) {
        int code = report(e);
        if (first_failure == kOk) first_failure = code;
      }
    }
  });
  return first_failure;
}

} // namespace isign::cli
