#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "cli/annotations.h"
#include "cli/cli.h"
#include "cli/formats.h"
#include "cli/identity_option.h"
#include "cli/password.h"
#include "cli/registry_options.h"
#include "cli/sign_output.h"
#include "common/file.h"
#include "registry/resolve.h"
#include "sign/batch.h"
#include "sign/signer.h"

namespace isign::cli {

namespace {

constexpr std::string_view kName = "sign";

struct Outputs {
  std::string signature_file;
  std::string payload_file;
};

void add_sign_options(cxxopts::Options& opts) {
  opts.add_options()("key", "the encrypted private key", cxxopts::value<std::string>(), "FILE")(
      "a,annotations", "extra key=value pairs to sign (repeatable)",
      cxxopts::value<std::vector<std::string>>(),
      "KEY=VALUE")("recursive", "for an image index, also sign every child manifest")(
      "upload", "push the signature to the registry (--upload=false: only write the outputs)",
      cxxopts::value<bool>()->default_value("true")->implicit_value("true"))(
      "output-signature", "write the base64 signature to FILE", cxxopts::value<std::string>(),
      "FILE")("output-payload", "write the signed payload to FILE", cxxopts::value<std::string>(),
              "FILE")("tlog-upload",
                      "accepted for cosign compatibility; isign has no transparency log",
                      cxxopts::value<bool>()->default_value("false")->implicit_value("true"))(
      "y,yes", "accepted for cosign compatibility; isign never asks for confirmation")(
      "images", "image references", cxxopts::value<std::vector<std::string>>())("h,help",
                                                                                "show this help");
  add_identity_option(opts,
                      "the repository the signature names (the simple-signing "
                      "docker-reference, the bundle's subject) instead of the image's: where an "
                      "OCI layout's image will be served from",
                      true);
  add_format_options(opts, "which signatures to write: legacy (the .sig tag, read by cosign v2, "
                           "podman, skopeo and CRI-O), bundle (a sigstore bundle referrer, read "
                           "by cosign v3), or both (default; env ISIGN_SIGNATURE_FORMAT)");
  add_password_file_option(opts);
  add_registry_options(opts);
  opts.parse_positional({"images"});
  opts.positional_help("REF...");
}

// What the flags ask for.
struct Request {
  std::vector<std::string> inputs; // the references as given
  std::vector<registry::Reference> refs;
  cosign::Annotations annotations;
  Outputs outputs;
  bool upload = true;
  bool recursive = false;
  cosign::Formats formats = cosign::kBothFormats;
  std::optional<registry::Repository> identity; // --identity
};

// Checks the flags (not the key): kOk, or the exit code of the error printed.
int read_request(const cxxopts::ParseResult& args, Request& req) {
  if (!args.count("key"))
    return usage_error(kName, "--key FILE is required");
  if (!args.count("images"))
    return usage_error(kName, "no image reference given");
  req.inputs = args["images"].as<std::vector<std::string>>();
  auto parsed_refs = parse_references(req.inputs);
  if (!parsed_refs)
    return report(parsed_refs.error());
  req.refs = std::move(*parsed_refs);
  if (args.count("annotations")) {
    auto parsed = parse_annotations(args["annotations"].as<std::vector<std::string>>());
    if (!parsed)
      return report(parsed.error());
    req.annotations = std::move(*parsed);
  }
  if (args.count("output-signature"))
    req.outputs.signature_file = args["output-signature"].as<std::string>();
  if (args.count("output-payload"))
    req.outputs.payload_file = args["output-payload"].as<std::string>();
  req.upload = args["upload"].as<bool>();
  auto formats = read_formats(args, "ISIGN_SIGNATURE_FORMAT");
  if (!formats)
    return report(formats.error());
  req.formats = *formats;
  req.recursive = args.count("recursive") > 0;
  auto identity = read_identity(args);
  if (!identity)
    return report(identity.error());
  req.identity = std::move(*identity);
  const bool writes_outputs =
      !req.outputs.signature_file.empty() || !req.outputs.payload_file.empty();
  if (writes_outputs && (req.refs.size() > 1 || req.recursive))
    return usage_error(kName, "--output-signature/--output-payload take exactly one image "
                              "(and no --recursive)");
  return kOk;
}

// Writes what --output-signature and --output-payload ask for: the legacy signature when it is
// made, else the bundle's statement and DSSE signature.
common::Result<void> write_outputs(const Outputs& outputs,
                                   const std::vector<cosign::NewSignature>& sigs) {
  const std::string& payload = sigs.front().payload;
  const std::string& signature = sigs.front().signature;
  if (!outputs.signature_file.empty())
    ISIGN_TRY_CONTEXT(
        common::write_file_atomic(outputs.signature_file, signature, 0644, common::Overwrite::yes),
        "writing the signature");
  if (!outputs.payload_file.empty())
    if (auto w =
            common::write_file_atomic(outputs.payload_file, payload, 0644, common::Overwrite::yes);
        !w)
      return std::move(w).error().context("writing the payload");
  return {};
}

} // namespace

int cmd_sign(int argc, char** argv) {
  cxxopts::Options opts(std::string(kName),
                        "Sign image manifest digests and push each signature beside the image: "
                        "to REPO:sha256-<hex>.sig (cosign v2, podman, skopeo, CRI-O) and as a "
                        "sigstore bundle referrer (cosign v3), per --format.\n"
                        "Usage: isign sign --key cosign.key [flags] REF...");
  add_sign_options(opts);
  int exit = kOk;
  auto args = parse(opts, argc, argv, &exit);
  if (!args)
    return exit;
  Request req;
  if (int code = read_request(*args, req); code != kOk)
    return code;

  Signer signer;
  if (int code = open_signer(*args, signer); code != kOk)
    return code;
  const keys::PrivateKey& key = *signer.key;
  registry::Client& client = *signer.client;

  // Each reference is signed on its own thread (a bounded number at a time) over the one client.
  // Each format goes to its store: the .sig tag, the bundle referrers.
  auto store = cosign::make_store(client, req.formats);
  if (!store)
    return report(store.error());
  sign::Batch batch{client, **store};
  batch.attach = signer.attach;
  batch.selection.recursive = req.recursive;
  batch.formats = req.formats;
  batch.upload = req.upload;
  batch.workers = kParallelSigners;
  batch.make = [&](const cosign::Subject& subject, cosign::Format format) {
    cosign::Subject named = subject;
    if (req.identity)
      named.repository = *req.identity;
    return sign::sign_image(key, named, req.annotations, format);
  };
  note_layout_identity(req.refs, req.identity, "signature");
  batch.on_signed = [&](const std::vector<cosign::NewSignature>& sigs) {
    return write_outputs(req.outputs, sigs);
  };
  int code = kOk;
  auto done =
      sign::sign_all(batch, req.refs, req.inputs, [&](std::size_t i, const sign::RefSigned& r) {
        if (int c = print_signed(req.inputs[i], req.refs[i], r, cosign::Kind::signature);
            code == kOk)
          code = c;
      });
  if (int c = print_rechecks(done.rechecks, cosign::Kind::signature); code == kOk)
    code = c;
  print_debug_stats(client);
  return code;
}

} // namespace isign::cli
