#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "cli/annotations.h"
#include "cli/cli.h"
#include "cli/formats.h"
#include "cli/identity_option.h"
#include "cli/key_source.h"
#include "cli/registry_options.h"
#include "cli/verify_attestation.h"
#include "cli/verify_output.h"
#include "common/file.h"
#include "registry/resolve.h"
#include "verify/batch.h"
#include "verify/image_verifier.h"
#include "verify/policy.h"
#include "verify/report.h"

namespace isign::cli {

namespace {

// verify checks signatures (and a policy's attestation rules); verify-attestation checks
// attestations alone, with gates from its flags or the policy's attestation rules.
enum class Mode { signatures, attestations };

void add_verify_options(cxxopts::Options& opts, Mode mode) {
  const bool att = mode == Mode::attestations;
  opts.add_options()("key", "a public key (PEM); repeat for several accepted keys",
                     cxxopts::value<std::vector<std::string>>(), "FILE")(
      "threshold",
      att ? "require passing attestations from at least N distinct keys of those given"
          : "require valid signatures from at least N distinct keys of those given",
      cxxopts::value<std::size_t>()->default_value("1"),
      "N")("policy",
           "check each image against the rule of its scope in this policy file (isign or "
           "containers-policy.json format) instead of --key",
           cxxopts::value<std::string>(),
           "FILE")("a,annotations",
                   att ? "require the statement subject's annotation KEY == VALUE (repeatable)"
                       : "require optional.KEY == VALUE in the signed payload (repeatable)",
                   cxxopts::value<std::vector<std::string>>(), "KEY=VALUE")(
      "o,output",
      att ? "cosign (each verified envelope, one JSON per line, as cosign prints them), text "
            "(each verified statement, one per line), or json (the versioned report of every "
            "result, failures included)"
          : "cosign (the verified payloads as one JSON array, as cosign prints them), text (one "
            "payload per line), or json (the versioned report of every result, failures "
            "included)",
      cxxopts::value<std::string>()->default_value("cosign"),
      "FORMAT")("report", "also write the JSON report (as --output json) to FILE",
                cxxopts::value<std::string>(), "FILE")(
      "recursive", "for an image index, verify the index and every child manifest")(
      "platform", "for an image index, verify the child this platform pulls",
      cxxopts::value<std::string>(), "OS/ARCH[/VARIANT]")(
      "skip-identity-check",
      "accept signatures whose docker-reference names another repository (mirrors)")(
      "require-identity",
      "refuse bundles that name no repository (cosign v3 signs the digest only)")(
      "identity",
      "check the image as REPO: signatures must name REPO instead of the reference's repository "
      "(an OCI layout signed with sign --identity REPO)",
      cxxopts::value<std::string>(),
      "REPO")("max-signature-layers",
              "refuse images with more stored signatures (.sig layers and bundles) than N",
              cxxopts::value<std::size_t>()->default_value("100"),
              "N")("max-payload-size", "do not fetch signature payloads larger than BYTES",
                   cxxopts::value<std::size_t>()->default_value("1048576"),
                   "BYTES")("images", "image references",
                            cxxopts::value<std::vector<std::string>>())("h,help", "show this help");
  if (att)
    add_gate_options(opts);
  else
    opts.add_options()(
        "max-predicate-size",
        "do not fetch attestations larger than BYTES (a policy's attestation rules)",
        cxxopts::value<std::size_t>()->default_value(std::to_string(cosign::kMaxAttestationSize)),
        "BYTES");
  add_format_options(opts,
                     att ? "which attestations count: legacy (the .att tag), bundle (sigstore "
                           "bundle referrers), or both, every one read and reported (default: "
                           "either; the referrers are read when the .att does not pass)"
                         : "which signatures count: legacy (the .sig tag), bundle (sigstore "
                           "bundle referrers), or both, every one read and reported (default: "
                           "either may verify; the referrers are read when the .sig does not)");
  add_registry_options(opts);
  opts.parse_positional({"images"});
  opts.positional_help("REF...");
}

// What the flags ask for.
struct Request {
  Mode mode = Mode::signatures;
  std::string name; // the command, for messages
  bool use_policy = false;
  cosign::Formats formats = cosign::kBothFormats;
  verify::Discovery discovery = verify::Discovery::until_met; // --format both: every
  std::string output;                                         // cosign, text or json
  registry::Selection selection;
  verify::Limits limits;
  std::vector<std::string> inputs; // the references as given
  std::vector<registry::Reference> refs;
  verify::Policy policy; // the policy's rules, or one rule made of the flags
};

// The flags that say how to check (the rule's, the output's, which manifests): kOk, or the exit
// code of the usage error printed.
int read_how(const cxxopts::ParseResult& args, Request& req) {
  const std::string_view kName = req.name;
  req.use_policy = args.count("policy") > 0;
  if (req.use_policy) {
    for (const char* flag :
         {"key", "threshold", "annotations", "skip-identity-check", "require-identity", "identity",
          "fail-on-severity", "max-scan-age", "allow", "max-age", "builder-id", "source-uri",
          "pointer", "equals", "one-of", "exists"})
      if (args.count(flag))
        return usage_error(kName, std::string("--") + flag +
                                      " cannot be combined with --policy: the policy says which "
                                      "keys, threshold, annotations, identity rule and gates "
                                      "apply");
  } else if (!args.count("key")) {
    return usage_error(kName, "--key FILE or --policy FILE is required");
  }
  if (!args.count("images"))
    return usage_error(kName, "no image reference given");
  req.output = args["output"].as<std::string>();
  if (req.output != "cosign" && req.output != "text" && req.output != "json")
    return usage_error(kName, "--output must be cosign, text or json, not '" + req.output + "'");
  req.selection.recursive = args.count("recursive") > 0;
  if (args.count("platform")) {
    if (req.selection.recursive)
      return usage_error(kName, "--platform and --recursive exclude each other: --recursive "
                                "verifies every child, --platform the one a node pulls");
    auto platform = registry::Platform::parse(args["platform"].as<std::string>());
    if (!platform)
      return report(platform.error());
    req.selection.platform = std::move(*platform);
  }
  req.limits.max_layers = args["max-signature-layers"].as<std::size_t>();
  req.limits.max_payload_size = args["max-payload-size"].as<std::size_t>();
  req.limits.max_attestation_size = args["max-predicate-size"].as<std::size_t>();
  if (req.limits.max_layers == 0)
    return usage_error(kName, "--max-signature-layers must be at least 1");
  // The environment variable is sign's: verify accepts either format unless told otherwise.
  auto formats = read_formats(args);
  if (!formats)
    return report(formats.error());
  req.formats = *formats;
  if (args.count("format") && args["format"].as<std::string>() == "both")
    req.discovery = verify::Discovery::every;
  return kOk;
}

// The one rule --key, --threshold, --annotations and --skip-identity-check make: kOk, or the exit
// code of the error printed.
int rule_from_flags(const cxxopts::ParseResult& args, verify::Policy& policy,
                    std::string_view kName) {
  verify::Requirement req;
  if (args.count("annotations")) {
    auto parsed = parse_annotations(args["annotations"].as<std::vector<std::string>>());
    if (!parsed)
      return report(parsed.error());
    req.options.required_annotations = std::move(*parsed);
  }
  if (args.count("skip-identity-check"))
    req.options.identity = verify::IdentityRule::none;
  req.options.require_identity = args.count("require-identity") > 0;
  auto checked_as = read_identity(args);
  if (!checked_as)
    return report(checked_as.error());
  req.options.checked_as = std::move(*checked_as);
  auto keys = load_public_keys(args["key"].as<std::vector<std::string>>());
  if (!keys)
    return report(keys.error());
  req.options.threshold = args["threshold"].as<std::size_t>();
  const std::size_t distinct = verify::distinct_keys(*keys);
  if (req.options.threshold == 0)
    return usage_error(kName, "--threshold must be at least 1");
  if (req.options.threshold > distinct)
    return usage_error(kName, "--threshold " + std::to_string(req.options.threshold) + " needs " +
                                  std::to_string(req.options.threshold) + " distinct keys, but " +
                                  std::to_string(distinct) + " were given with --key");
  req.keys = std::move(*keys);
  policy.default_rule.scope = "--key";
  policy.default_rule.requirements.push_back(std::move(req));
  return kOk;
}

// Everything the flags say, checked in the order the user is told about mistakes: kOk, or the
// exit code of the error printed.
int read_request(const cxxopts::ParseResult& args, Request& req) {
  if (int code = read_how(args, req); code != kOk)
    return code;
  req.inputs = args["images"].as<std::vector<std::string>>();
  auto parsed_refs = parse_references(req.inputs);
  if (!parsed_refs)
    return report(parsed_refs.error());
  req.refs = std::move(*parsed_refs);
  if (!req.use_policy) {
    if (int code = rule_from_flags(args, req.policy, req.name); code != kOk)
      return code;
    return req.mode == Mode::attestations ? attestation_rule_from_flags(args, req.policy) : kOk;
  }
  const std::string path = args["policy"].as<std::string>();
  auto loaded = verify::load_policy_file(path);
  if (!loaded)
    return report(std::move(loaded).error().context("policy '" + path + "'"));
  req.policy = std::move(*loaded);
  if (req.mode == Mode::attestations)
    return attestation_rules_of_policy(args, req.policy);
  return kOk;
}

// Prints errors and keeps the first one's exit code.
struct Failures {
  int first = kOk;
  void report_error(const common::Error& e) {
    int code = report(e);
    if (first == kOk)
      first = code;
  }
};

// What the user should know about what a reference resolved to (a tag, an index, a single image
// for --platform).
void warn_resolution(const std::string& input, const registry::Reference& ref,
                     const registry::Resolution& resolution, const registry::Selection& selection) {
  if (!ref.by_digest())
    warn("'" + input +
         "' names the image by tag, and a tag can be moved to another image at "
         "any time. Verified the digest it points to now: " +
         ref.repository.str() + "@" + resolution.digest + ".");
  if (resolution.is_index && !selection.recursive && !selection.platform)
    warn("'" + input +
         "' is an image index: verified the index itself, not its children "
         "(--recursive verifies every child, --platform OS/ARCH the one a node pulls)");
  if (!resolution.is_index && selection.platform)
    warn("'" + input + "' is a single image, not an index: verified it as it is for --platform " +
         selection.platform->str());
}

// Prints each target's outcome of one reference (and, with --recursive, a line on its children);
// returns whether every target passed.
bool print_results(const std::string& input, const registry::Reference& ref,
                   const verify::RefOutcome& o, const registry::Selection& selection,
                   Failures& failures) {
  bool all_ok = true;
  std::size_t children = 0, children_ok = 0;
  std::string failed_children;
  for (const auto& r : o.results) {
    const bool child = r.target.role == registry::Target::Role::child && selection.recursive;
    if (child)
      ++children;
    // The label holds the index's platform strings: the registry's text, made printable.
    const bool labelled = o.targets.size() > 1 || r.target.role == registry::Target::Role::child;
    if (r.error) {
      all_ok = false;
      std::string what = "verifying '" + input + "'";
      if (labelled)
        what += " " + target_label(r.target);
      failures.report_error(common::Error(*r.error).context(what));
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
    const std::string label =
        one_line((labelled ? target_label(r.target) + " of " : std::string()) +
                 ref.repository.str() + "@" + r.target.digest);
    if (!r.reports.empty() && signature_count(r) > 0)
      std::cerr << "isign: verified " << label << " (" << valid_count(r) << " valid of "
                << signature_count(r) << " signatures: " << valid_formats(r) << ")\n";
    if (!r.attestations.empty())
      std::cerr << "isign: verified the attestations of " << label << " ("
                << one_line(attestation_summary(r)) << ")\n";
    for (const auto& where : unbound_bundles(r))
      warn("the bundle " + one_line(where) +
           " names no repository (cosign v3 signs the digest only): its identity was not "
           "checked; --require-identity or a policy's \"requireIdentity\": true refuses such "
           "bundles");
    for (const auto& e : unread_notes(r))
      warn(one_line(e));
  }
  if (selection.recursive && children > 0)
    std::cerr << "isign: '" << one_line(input) << "': " << children_ok << " of " << children
              << " children verified"
              << (failed_children.empty() ? "" : "; failed: " + one_line(failed_children)) << "\n";
  return all_ok;
}

// cosign's summary of the checks on stderr and the verified payloads on stdout (--output cosign
// or text), for a reference whose every target passed.
void print_payloads(const std::string& input, const verify::RefOutcome& o, const Request& req) {
  bool any_signed = false;
  for (const auto& r : o.results)
    any_signed = any_signed || !r.accepted_unsigned;
  if (!any_signed)
    return;
  if (req.mode == Mode::attestations)
    return print_envelopes(input, o, req.output, req.use_policy);
  const auto& first = o.rule->requirements.front();
  std::cerr << "\nVerification for " << one_line(input) << " --\n"
            << "The following checks were performed on each of these signatures:\n"
            << "  - The cosign claims were validated (type, image digest"
            << (first.options.identity == verify::IdentityRule::none ? "" : ", identity")
            << (first.options.required_annotations.empty() ? "" : ", annotations") << ")\n"
            << "  - The signatures were verified against the specified public key"
            << (req.use_policy ? "s of the policy" : "") << "\n";
  for (const auto& r : o.results) {
    if (r.accepted_unsigned)
      continue;
    if (req.output == "cosign") {
      std::cout << payload_array(r) << '\n';
    } else {
      for (const auto& report : r.reports)
        for (auto v : report.valid())
          std::cout << report.signatures[v].payload_bytes << '\n';
    }
  }
}

// Prints every reference's outcome in the order given.
void print_outcomes(const Request& req, const std::vector<verify::RefOutcome>& outcomes,
                    Failures& failures) {
  for (std::size_t i = 0; i < req.refs.size(); ++i) {
    const auto& o = outcomes[i];
    const std::string& input = req.inputs[i];
    if (o.error) {
      failures.report_error(common::Error(*o.error).context("verifying '" + input + "'"));
      continue;
    }
    if (o.resolution)
      warn_resolution(input, req.refs[i], *o.resolution, req.selection);
    const bool all_ok = print_results(input, req.refs[i], o, req.selection, failures);
    if (all_ok && req.output != "json")
      print_payloads(input, o, req);
  }
}

// A target without signatures in the format asked for: say so when the other format holds some
// (--format legacy on an image only cosign v3 signed), so that the fix is plain. Costs requests
// only on that failure.
void note_other_format(registry::Client& client, const Request& req,
                       std::vector<verify::RefOutcome>& outcomes) {
  if (req.formats.size() != 1)
    return;
  const cosign::Format asked = req.formats.front();
  auto other = cosign::make_format_store(
      client, asked == cosign::Format::legacy ? cosign::Format::bundle : cosign::Format::legacy);
  const std::string hint = asked == cosign::Format::legacy
                               ? "a sigstore bundle (cosign v3) is stored for it: verify without "
                                 "--format legacy to check it"
                               : "a .sig (cosign v2) is stored for it: verify without --format "
                                 "bundle to check it";
  for (std::size_t i = 0; i < outcomes.size(); ++i)
    for (auto& r : outcomes[i].results) {
      if (!r.error || r.error->kind() != common::ErrorKind::no_signature)
        continue;
      auto found = other->find(cosign::Subject{req.refs[i].repository, r.target.digest});
      if (found && !found->layers.empty())
        r.error = common::Error(common::ErrorKind::no_signature, r.error->message() + "; " + hint);
    }
}

// The JSON report on stdout (--output json) and to --report FILE.
void write_report(const cxxopts::ParseResult& args, const Request& req,
                  const std::vector<verify::RefOutcome>& outcomes, Failures& failures) {
  if (req.output != "json" && !args.count("report"))
    return;
  const std::string doc = verify::report_document(req.inputs, outcomes, failures.first) + "\n";
  if (req.output == "json")
    std::cout << doc;
  if (args.count("report")) {
    const std::string path = args["report"].as<std::string>();
    auto written = common::write_file_atomic(path, doc, 0644, common::Overwrite::yes);
    if (!written)
      failures.report_error(std::move(written).error().context("writing the report"));
  }
}

} // namespace

namespace {

int run_verify(int argc, char** argv, Mode mode) {
  const bool att = mode == Mode::attestations;
  const std::string name = att ? "verify-attestation" : "verify";
  cxxopts::Options opts(
      name,
      att ? "Verify the attestations of images against public keys and gates, or a policy's "
            "attestation rules. An image passes when attestations of --type by at least "
            "--threshold distinct keys verify and pass every gate asked for.\n"
            "Usage: isign verify-attestation --key cosign.pub --type vuln [gates] REF...\n"
            "       isign verify-attestation --policy policy.json [--type T] REF..."
          : "Verify the signatures of images against public keys or a policy. An image passes "
            "when valid signatures from at least --threshold distinct keys (default 1) are "
            "found, and the policy's attestation rules pass.\n"
            "Usage: isign verify --key cosign.pub [flags] REF...\n"
            "       isign verify --policy policy.json [flags] REF...");
  add_verify_options(opts, mode);
  int exit = kOk;
  auto args = parse(opts, argc, argv, &exit);
  if (!args)
    return exit;
  Request req;
  req.mode = mode;
  req.name = name;
  if (int code = read_request(*args, req); code != kOk)
    return code;
  auto client = make_client(*args);
  if (!client)
    return report(client.error());
  // Signatures are read from the stores of the formats asked for: the .sig tag, the referrers;
  // attestations from the .att tag and the referrers.
  auto store = cosign::make_store(**client, att ? cosign::kBothFormats : req.formats);
  if (!store)
    return report(store.error());
  auto attestation_store = cosign::make_store(**client, att ? req.formats : cosign::kBothFormats,
                                              cosign::Kind::attestation);
  if (!attestation_store)
    return report(attestation_store.error());
  auto outcomes =
      verify::verify_all(**client, **store, req.refs, req.policy, req.selection, req.limits,
                         kParallelImages, req.discovery, attestation_store->get());
  if (!att)
    note_other_format(**client, req, outcomes);
  Failures failures;
  print_outcomes(req, outcomes, failures);
  write_report(*args, req, outcomes, failures);
  std::cout << std::flush;
  print_debug_stats(**client);
  return failures.first;
}

} // namespace

int cmd_verify(int argc, char** argv) {
  return run_verify(argc, argv, Mode::signatures);
}

int cmd_verify_attestation(int argc, char** argv) {
  return run_verify(argc, argv, Mode::attestations);
}

} // namespace isign::cli
