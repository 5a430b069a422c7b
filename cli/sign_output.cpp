#include "cli/sign_output.h"

#include <algorithm>
#include <cmath>
#include <iostream>

#include "cli/cli.h"
#include "cli/password.h"
#include "cli/registry_options.h"

namespace isign::cli {

namespace {

std::string tag_warning(const std::string& input, const registry::Reference& ref,
                        const registry::Target& t, cosign::Kind kind) {
  return "isign: warning: '" + input +
         "' names the image by tag, and a tag can be moved to another image at any time. " +
         (kind == cosign::Kind::signature ? "Signing" : "Attesting") +
         " the digest it points to now: " + ref.repository.str() + "@" + t.digest +
         ". Name images by digest to be sure what you sign.\n";
}

// The line that says what attaching did, when it did something else than add a layer to the
// .sig or .att; where: the store's answer.
std::string attach_message(const std::string& name, const cosign::AttachResult& result,
                           cosign::Format format, cosign::Kind kind) {
  const bool bundle = format == cosign::Format::bundle;
  const bool attestation = kind == cosign::Kind::attestation;
  const std::string what = bundle ? (attestation ? "attestation bundle" : "bundle")
                                  : std::string(cosign::kind_name(kind));
  std::string out;
  if (result.replaced > 0)
    out += "isign: " + name + ": replaced " + std::to_string(result.replaced) + " earlier " + what +
           (result.replaced == 1 ? "" : "s") + " of this key and type\n";
  switch (result.outcome) {
  case cosign::AttachOutcome::already_present:
    return out + "isign: " + name + " already has this " + what +
           (attestation ? " (same key and statement)" : " (same key and annotations)") +
           "; nothing pushed\n";
  case cosign::AttachOutcome::repaired:
    return out + "isign: " + name + " already had this " + what +
           ", but its payload blob was missing; uploaded it again\n";
  case cosign::AttachOutcome::created:
    return out + "isign: created " + result.where + " (the registry had no " +
           (bundle ? "referrers index" : std::string(cosign::kind_name(kind)) + "s") +
           " for this image; confirmed by its tag list and a second read)\n";
  case cosign::AttachOutcome::attached:
    return out + (bundle ? "isign: pushed " + result.where + "\n" : "");
  }
  return out;
}

} // namespace

int open_signer(const cxxopts::ParseResult& args, Signer& signer) {
  auto key =
      load_private_key(args["key"].as<std::string>(), args["password-file"].as<std::string>());
  if (!key)
    return report(key.error());
  signer.key = std::move(*key);
  signer.public_key = signer.key->public_key();
  signer.attach.signer_key = &*signer.public_key;
  auto client = make_client(args, 2 * kParallelSigners); // two formats per image at once
  if (!client)
    return report(client.error());
  signer.client = std::move(*client);
  // A PUT given up on after --timeout (validated by make_client: 0.001 to 3600 s) may land up to
  // about as long again later.
  signer.attach.unknown_outcome_window = std::chrono::milliseconds(
      std::lround(std::clamp(3000 * seconds_option(args, "timeout").value(), 2000.0, 30000.0)));
  return kOk;
}

int print_signed(const std::string& input, const registry::Reference& ref, const sign::RefSigned& r,
                 cosign::Kind kind) {
  std::string messages;
  std::vector<const common::Error*> errors;
  if (r.error)
    errors.push_back(&*r.error);
  const std::string repo = ref.repository.str();
  const bool attestation = kind == cosign::Kind::attestation;
  for (const auto& t : r.targets) {
    if (t.named_by_tag)
      messages += tag_warning(input, ref, t.target, kind);
    if (t.error) {
      errors.push_back(&*t.error);
      continue;
    }
    std::size_t failed = 0;
    for (const auto& a : t.attached) {
      const bool bundle = a.format == cosign::Format::bundle;
      messages += std::string(bundle        ? "Pushing bundle"
                              : attestation ? "Pushing attestation"
                                            : "Pushing signature") +
                  " to: " + repo + "\n";
      if (!a.result) {
        errors.push_back(&t.attach_errors[failed++]);
        continue;
      }
      // Notes quote the registry's error text: one printable line each.
      for (const auto& note : a.result->notes)
        messages += "isign: warning: " + one_line(note) + "\n";
      messages += attach_message(t.name, *a.result, a.format, kind);
    }
  }
  std::cerr << messages;
  int first_failure = kOk;
  for (const auto* e : errors)
    if (int code = report(*e); first_failure == kOk)
      first_failure = code;
  return first_failure;
}

int print_rechecks(const std::vector<sign::Recheck>& rechecks, cosign::Kind kind) {
  int first_failure = kOk;
  for (const auto& r : rechecks) {
    if (!r.result) {
      common::Error e = r.result.error();
      int code = report(e.context("checking the " + std::string(cosign::kind_name(kind)) + " of '" +
                                  r.name + "' after the batch"));
      if (first_failure == kOk)
        first_failure = code;
    } else if (r.result->outcome != cosign::AttachOutcome::already_present) {
      warn(r.name + ": a concurrent signer had replaced the " +
           std::string(cosign::format_name(r.format)) + " " + std::string(cosign::kind_name(kind)) +
           " written earlier in this run; it is attached again (" + r.result->where + ")");
    }
  }
  return first_failure;
}

} // namespace isign::cli
