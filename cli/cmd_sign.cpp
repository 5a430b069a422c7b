#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>

#include "cli/annotations.h"
#include "cli/cli.h"
#include "cli/formats.h"
#include "cli/password.h"
#include "cli/registry_options.h"
#include "common/file.h"
#include "common/parallel.h"
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
         ref.repository.str() + "@" + t.digest +
         ". Name images by digest to be sure what you sign.\n";
}

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
  cosign::Formats formats;
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
  const bool writes_outputs =
      !req.outputs.signature_file.empty() || !req.outputs.payload_file.empty();
  if (writes_outputs && (req.refs.size() > 1 || req.recursive))
    return usage_error(kName, "--output-signature/--output-payload take exactly one image "
                              "(and no --recursive)");
  return kOk;
}

// A signature written during the run: checked once more when the batch is done.
struct Written {
  cosign::Subject subject;
  cosign::NewSignature sig;
  std::string name; // repo@digest, for messages
};

// What signing one reference printed and the errors it met, shown in the order given, and what
// it wrote.
struct Outcome {
  std::string messages;
  std::vector<common::Error> errors;
  std::vector<Written> written;
};

// What every reference is signed with.
struct Signing {
  const Request& req;
  const keys::PrivateKey& key;
  registry::Client& client;
  cosign::SignatureStore& store; // where signatures are attached
  const cosign::AttachOptions& attach_options;
};

// The line that says what attaching did, when it did something else than add a layer to the
// .sig; where: the store's answer.
std::string attach_message(const std::string& name, const cosign::AttachResult& result,
                           cosign::SignatureFormat format) {
  const bool bundle = format == cosign::SignatureFormat::bundle;
  const std::string what = bundle ? "bundle" : "signature";
  switch (result.outcome) {
  case cosign::AttachOutcome::already_present:
    return "isign: " + name + " already has this " + what +
           " (same key and annotations); nothing pushed\n";
  case cosign::AttachOutcome::repaired:
    return "isign: " + name + " already had this " + what +
           ", but its payload blob was missing; uploaded it again\n";
  case cosign::AttachOutcome::created:
    return "isign: created " + result.where + " (the registry had no " +
           (bundle ? "referrers index" : "signatures") +
           " for this image; confirmed by its tag list and a second read)\n";
  case cosign::AttachOutcome::attached:
    return bundle ? "isign: pushed " + result.where + "\n" : "";
  }
  return "";
}

// Writes what --output-signature and --output-payload ask for.
common::Result<void> write_outputs(const Outputs& outputs, const std::string& payload,
                                   const std::string& signature) {
  if (!outputs.signature_file.empty())
    if (auto w = common::write_file_atomic(outputs.signature_file, signature, 0644,
                                           common::Overwrite::yes);
        !w)
      return std::move(w).error().context("writing the signature");
  if (!outputs.payload_file.empty())
    if (auto w =
            common::write_file_atomic(outputs.payload_file, payload, 0644, common::Overwrite::yes);
        !w)
      return std::move(w).error().context("writing the payload");
  return {};
}

// Signs one manifest of ref in each format asked for and attaches each signature (unless
// --upload=false), the formats side by side: each waits on its own confirmations and read-backs.
// One format written and the other refused is its own error, saying what was written: a rerun
// completes it (the written one is found and not duplicated).
void sign_target(const Signing& s, const registry::Reference& ref, const registry::Target& t,
                 Outcome& out) {
  const std::string repo = ref.repository.str();
  const std::string name = repo + "@" + t.digest;
  const cosign::Subject subject{ref.repository, t.digest, t.media_type, t.size};
  std::vector<cosign::SignatureFormat> formats;
  if (s.req.formats.legacy)
    formats.push_back(cosign::SignatureFormat::legacy);
  if (s.req.formats.bundle)
    formats.push_back(cosign::SignatureFormat::bundle);
  std::vector<cosign::NewSignature> sigs;
  for (auto format : formats) {
    auto sig = sign::sign_image(s.key, subject, s.req.annotations, format);
    if (!sig)
      return out.errors.push_back(std::move(sig).error().context("signing '" + name + "'"));
    sigs.push_back(std::move(*sig));
  }
  // --output-signature/--output-payload: the legacy signature when it is made, else the bundle's
  // statement and DSSE signature.
  if (auto w = write_outputs(s.req.outputs, sigs.front().payload, sigs.front().signature); !w)
    return out.errors.push_back(std::move(w).error());
  if (!s.req.upload)
    return;
  auto what = [](cosign::SignatureFormat f) {
    return std::string(f == cosign::SignatureFormat::bundle ? "bundle (cosign v3 referrer)"
                                                            : "signature (cosign v2 .sig)");
  };
  std::vector<std::optional<common::Result<cosign::AttachResult>>> attached(sigs.size());
  common::parallel_for(sigs.size(), sigs.size(), [&](std::size_t i) {
    attached[i] = s.store.attach(subject, sigs[i], s.attach_options);
  });
  std::vector<std::string> written;
  for (std::size_t i = 0; i < sigs.size(); ++i)
    if (*attached[i])
      written.push_back(what(formats[i]));
  for (std::size_t i = 0; i < sigs.size(); ++i) {
    const bool bundle = formats[i] == cosign::SignatureFormat::bundle;
    out.messages +=
        std::string(bundle ? "Pushing bundle" : "Pushing signature") + " to: " + repo + "\n";
    auto& result = *attached[i];
    if (!result) {
      common::Error e = std::move(result).error();
      if (!written.empty())
        e.context("the " + written.front() + " was written, but the " + what(formats[i]) +
                  " was not (run sign again to complete it)");
      out.errors.push_back(std::move(e).context("signing '" + name + "'"));
      continue;
    }
    if (result->outcome == cosign::AttachOutcome::created ||
        result->outcome == cosign::AttachOutcome::attached)
      out.written.push_back(Written{subject, sigs[i], name});
    // Notes quote the registry's error text: one printable line each.
    for (const auto& note : result->notes)
      out.messages += "isign: warning: " + one_line(note) + "\n";
    out.messages += attach_message(name, *result, formats[i]);
  }
}

// Resolves reference i and signs each manifest it stands for.
Outcome sign_ref(const Signing& s, std::size_t i) {
  Outcome out;
  const auto& ref = s.req.refs[i];
  registry::Selection selection;
  selection.recursive = s.req.recursive;
  auto resolved = registry::resolve_targets(s.client, ref, selection);
  if (!resolved) {
    out.errors.push_back(std::move(resolved).error().context("signing '" + s.req.inputs[i] + "'"));
    return out;
  }
  for (const auto& t : resolved->targets) {
    // Index children are named by digest in the index: only what the user named can be a tag.
    if (!ref.by_digest() && t.role != registry::Target::Role::child)
      out.messages += tag_warning(s.req.inputs[i], ref, t);
    sign_target(s, ref, t, out);
  }
  return out;
}

// Once the batch is done, every signature written is attached again, which is a no-op (a read or
// two) where it is still there. Distribution has no compare-and-swap on tags: a concurrent signer
// whose PUT lands after the read-back that followed ours (a registry slowed by many signers) can
// replace our layer. By now, seconds later for most images, such a write has landed, and the
// signature is merged back in. Returns the exit code of the first failure.
int check_written(const Signing& s, const std::vector<std::optional<Outcome>>& outcomes) {
  std::vector<const Written*> all;
  for (const auto& o : outcomes)
    for (const auto& w : o->written)
      all.push_back(&w);
  std::vector<std::optional<common::Result<cosign::AttachResult>>> again(all.size());
  common::parallel_for(all.size(), kParallelSigners, [&](std::size_t i) {
    again[i] = s.store.attach(all[i]->subject, all[i]->sig, s.attach_options);
  });
  int first_failure = kOk;
  for (std::size_t i = 0; i < all.size(); ++i) {
    auto& r = *again[i];
    if (!r) {
      int code = report(std::move(r).error().context("checking the signature of '" + all[i]->name +
                                                     "' after the batch"));
      if (first_failure == kOk)
        first_failure = code;
    } else if (r->outcome != cosign::AttachOutcome::already_present) {
      warn(all[i]->name + ": a concurrent signer had replaced the " +
           std::string(cosign::format_name(all[i]->sig.format)) +
           " signature written earlier in this run; it is attached again (" + r->where + ")");
    }
  }
  return first_failure;
}

// Signs every reference concurrently; each outcome is printed as soon as those before it have
// been. Returns the first failure's exit code.
int sign_all(const Signing& s) {
  const std::size_t n = s.req.refs.size();
  std::vector<std::optional<Outcome>> outcomes(n);
  std::mutex print_mutex;
  std::size_t next_to_print = 0;
  int first_failure = kOk;
  common::parallel_for(n, kParallelSigners, [&](std::size_t i) {
    Outcome done = sign_ref(s, i);
    std::lock_guard lock(print_mutex);
    outcomes[i] = std::move(done);
    for (; next_to_print < n && outcomes[next_to_print]; ++next_to_print) {
      const Outcome& o = *outcomes[next_to_print];
      std::cerr << o.messages;
      for (const auto& e : o.errors) {
        int code = report(e);
        if (first_failure == kOk)
          first_failure = code;
      }
    }
  });
  if (auto code = check_written(s, outcomes); first_failure == kOk)
    first_failure = code;
  return first_failure;
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

  // The key first: a wrong password must stop us before anything touches the registry.
  auto key = load_private_key((*args)["key"].as<std::string>(),
                              (*args)["password-file"].as<std::string>());
  if (!key)
    return report(key.error());
  const keys::PublicKey public_key = key->public_key();
  cosign::AttachOptions attach_options;
  attach_options.signer_key = &public_key;
  auto client = make_client(*args, 2 * kParallelSigners); // two formats per image at once
  if (!client)
    return report(client.error());
  // A PUT given up on after --timeout (validated by make_client: 0.001 to 3600 s) may land up to
  // about as long again later.
  attach_options.unknown_outcome_window = std::chrono::milliseconds(
      std::lround(std::clamp(3000 * seconds_option(*args, "timeout").value(), 2000.0, 30000.0)));

  // Each reference is signed on its own thread (a bounded number at a time) over the one client.
  // Each format goes to its store: the .sig tag, the bundle referrers.
  auto store = cosign::make_store(**client, req.formats);
  if (!store)
    return report(store.error());
  const int code = sign_all(Signing{req, *key, **client, **store, attach_options});
  print_debug_stats(**client);
  return code;
}

} // namespace isign::cli
