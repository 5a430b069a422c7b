#include <sys/stat.h>

#include <algorithm>
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
#include "cosign/attestation.h"
#include "cosign/bundle.h"
#include "cosign/predicate.h"
#include "sign/batch.h"
#include "sign/signer.h"

namespace isign::cli {

namespace {

constexpr std::string_view kName = "attest";

void add_attest_options(cxxopts::Options& opts) {
  opts.add_options()("key", "the encrypted private key", cxxopts::value<std::string>(), "FILE")(
      "type",
      "what the predicate is: custom (default), slsaprovenance, slsaprovenance02, "
      "slsaprovenance1, spdx, spdxjson, cyclonedx, link, vuln, openvex, or a predicate type URI",
      cxxopts::value<std::string>(),
      "TYPE")("predicate",
              "the predicate file (vuln: a Trivy or Grype JSON report, or trivy --format "
              "cosign-vuln output)",
              cxxopts::value<std::string>(), "FILE")(
      "statement", "sign this whole in-toto statement instead (its subject must be the image)",
      cxxopts::value<std::string>(), "FILE")(
      "replace", "remove this key's earlier attestations of the same type, in both formats")(
      "a,annotations", "key=value pairs signed into the statement's subject (repeatable)",
      cxxopts::value<std::vector<std::string>>(),
      "KEY=VALUE")("recursive", "for an image index, also attest every child manifest")(
      "max-predicate-size", "refuse predicates (and attestations) larger than BYTES",
      cxxopts::value<std::size_t>()->default_value(std::to_string(cosign::kMaxAttestationSize)),
      "BYTES")("tlog-upload", "accepted for cosign compatibility; isign has no transparency log",
               cxxopts::value<bool>()->default_value("false")->implicit_value("true"))(
      "y,yes", "accepted for cosign compatibility; isign never asks for confirmation")(
      "images", "image references", cxxopts::value<std::vector<std::string>>())("h,help",
                                                                                "show this help");
  add_identity_option(opts,
                      "the repository the statement's subject names instead of the image's: "
                      "where an OCI layout's image will be served from",
                      true);
  add_format_options(opts, "which attestations to write: legacy (the .att tag, read by cosign "
                           "v2), bundle (a sigstore bundle referrer, read by cosign v3), or both "
                           "(default; env ISIGN_SIGNATURE_FORMAT)");
  add_password_file_option(opts);
  add_registry_options(opts);
  opts.parse_positional({"images"});
  opts.positional_help("REF...");
}

// What the flags ask for.
struct Request {
  std::vector<std::string> inputs;
  std::vector<registry::Reference> refs;
  cosign::Annotations annotations;
  cosign::Formats formats = cosign::kBothFormats;
  bool recursive = false;
  bool replace = false;
  std::size_t max_size = cosign::kMaxAttestationSize;
  std::string predicate_type;
  std::string predicate_json;                   // --predicate: made by make_predicate
  std::string statement;                        // --statement: the caller's, as it is
  std::vector<std::string> statement_digests;   // its subjects' sha256 digests
  std::optional<registry::Repository> identity; // --identity
};

std::optional<common::TimePoint> modification_time(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return std::nullopt;
  return common::TimePoint(std::chrono::seconds(st.st_mtime));
}

// --statement FILE: a strict in-toto statement whose subjects name digests; --type, when given,
// must be its predicateType.
int read_statement(const cxxopts::ParseResult& args, Request& req) {
  const std::string path = args["statement"].as<std::string>();
  auto text = common::read_file(path, req.max_size, common::FifoWait::until_writer);
  if (!text)
    return report(std::move(text).error().context("reading the statement"));
  auto statement = cosign::parse_statement(*text);
  if (!statement)
    return report(common::Error(common::ErrorKind::usage,
                                "'" + path + "' is not an in-toto statement isign can sign: " +
                                    statement.error().message()));
  if (!statement->has_predicate)
    return usage_error(kName, "the statement '" + path + "' has no predicate");
  if (args.count("type")) {
    auto kind = cosign::predicate_kind(args["type"].as<std::string>());
    if (!kind)
      return report(kind.error());
    if (kind->uri != statement->predicate_type)
      return usage_error(kName, "--type " + args["type"].as<std::string>() + " is " + kind->uri +
                                    ", but the statement's predicateType is " +
                                    statement->predicate_type);
  }
  for (const auto& s : statement->subjects)
    if (auto d = s.digest.find("sha256"); d != s.digest.end())
      req.statement_digests.push_back("sha256:" + d->second);
  if (req.statement_digests.empty())
    return usage_error(kName, "the statement '" + path + "' names no sha256 subject digest");
  req.predicate_type = statement->predicate_type;
  req.statement = std::move(*text);
  return kOk;
}

// --predicate FILE as --type makes it: refused before anything is written when the file is not
// what the type says.
int read_predicate(const cxxopts::ParseResult& args, Request& req) {
  const std::string type = args.count("type") ? args["type"].as<std::string>() : "custom";
  auto kind = cosign::predicate_kind(type);
  if (!kind)
    return report(kind.error());
  const std::string path = args["predicate"].as<std::string>();
  auto bytes = common::read_file(path, req.max_size, common::FifoWait::until_writer);
  if (!bytes)
    return report(std::move(bytes).error().context("reading the predicate"));
  cosign::PredicateFile file{*bytes, path, modification_time(path), common::now_seconds()};
  auto made = cosign::make_predicate(*kind, file);
  if (!made)
    return report(made.error());
  for (const auto& note : made->notes)
    warn(note);
  req.predicate_type = kind->uri;
  req.predicate_json = std::move(made->json);
  return kOk;
}

// An attestation of cosign's image-signature type would read as a signature, not an
// attestation: that is sign's to write.
int refuse_signature_type(const Request& req) {
  if (req.predicate_type != cosign::kSignPredicateType)
    return kOk;
  return usage_error(kName, "the predicate type " + req.predicate_type +
                                " is cosign's image signature, not an attestation: sign the "
                                "image with 'isign sign'");
}

int read_request(const cxxopts::ParseResult& args, Request& req) {
  if (!args.count("key"))
    return usage_error(kName, "--key FILE is required");
  if (args.count("predicate") == args.count("statement"))
    return usage_error(kName, "give exactly one of --predicate FILE and --statement FILE");
  if (!args.count("images"))
    return usage_error(kName, "no image reference given");
  req.inputs = args["images"].as<std::vector<std::string>>();
  auto parsed_refs = parse_references(req.inputs);
  if (!parsed_refs)
    return report(parsed_refs.error());
  req.refs = std::move(*parsed_refs);
  if (args.count("annotations")) {
    if (args.count("statement"))
      return usage_error(kName, "-a cannot be combined with --statement: the statement is "
                                "signed as it is");
    auto parsed = parse_annotations(args["annotations"].as<std::vector<std::string>>());
    if (!parsed)
      return report(parsed.error());
    req.annotations = std::move(*parsed);
  }
  auto formats = read_formats(args, "ISIGN_SIGNATURE_FORMAT");
  if (!formats)
    return report(formats.error());
  req.formats = *formats;
  req.recursive = args.count("recursive") > 0;
  auto identity = read_identity(args);
  if (!identity)
    return report(identity.error());
  req.identity = std::move(*identity);
  if (req.identity && args.count("statement"))
    return usage_error(kName, "--identity cannot be combined with --statement: the statement is "
                              "signed as it is");
  req.replace = args.count("replace") > 0;
  req.max_size = args["max-predicate-size"].as<std::size_t>();
  if (req.max_size == 0)
    return usage_error(kName, "--max-predicate-size must be at least 1");
  if (int code = args.count("statement") ? read_statement(args, req) : read_predicate(args, req);
      code != kOk)
    return code;
  return refuse_signature_type(req);
}

// The statement attest signs for subject: the caller's (when it names the subject's digest) or
// cosign's v0.1 statement over the predicate.
common::Result<std::string> statement_for(const Request& req, const cosign::Subject& subject) {
  if (req.statement.empty())
    return cosign::make_attestation_statement(req.identity.value_or(subject.repository).str(),
                                              subject.digest, req.predicate_type,
                                              req.predicate_json, req.annotations);
  if (std::find(req.statement_digests.begin(), req.statement_digests.end(), subject.digest) ==
      req.statement_digests.end())
    return common::make_error(common::ErrorKind::usage,
                              "the statement's subject is " + req.statement_digests.front() +
                                  ", not this image (" + subject.digest +
                                  "): a statement is signed only for the image it names");
  return req.statement;
}

} // namespace

int cmd_attest(int argc, char** argv) {
  cxxopts::Options opts(
      std::string(kName),
      "Attest images: sign an in-toto statement of what a scanner or builder found (a "
      "predicate) and push it beside the image: to REPO:sha256-<hex>.att (cosign v2) and as a "
      "sigstore bundle referrer (cosign v3), per --format.\n"
      "Usage: isign attest --key cosign.key --type vuln --predicate trivy.json [flags] REF...");
  add_attest_options(opts);
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
  cosign::AttachOptions attach_options = signer.attach;
  attach_options.max_payload_size = req.max_size + req.max_size / 2 + 4096; // base64 and JSON
  attach_options.replace = req.replace;

  auto store = cosign::make_store(client, req.formats, cosign::Kind::attestation);
  if (!store)
    return report(store.error());
  sign::Batch batch{client, **store};
  batch.attach = attach_options;
  batch.selection.recursive = req.recursive;
  batch.formats = req.formats;
  batch.workers = kParallelSigners;
  // Each target holds its statement, envelope and bundle at once: with a predicate of tens of MB
  // (an SBOM, a scan report), fewer targets at a time and one format at a time keep the memory a
  // small multiple of the predicate's size.
  const std::size_t size = std::max(req.predicate_json.size(), req.statement.size());
  if (size > (1u << 20)) {
    batch.workers = std::clamp<std::size_t>((256u << 20) / size, 1, kParallelSigners);
    batch.formats_at_once = 1;
  }
  batch.verb = "attesting";
  batch.command = "attest";
  batch.make = [&](const cosign::Subject& subject,
                   cosign::Format format) -> common::Result<cosign::NewSignature> {
    auto statement = statement_for(req, subject);
    ISIGN_TRY(statement);
    return sign::sign_statement(key, *statement, req.predicate_type, format);
  };
  if (req.statement.empty())
    note_layout_identity(req.refs, req.identity, "attestation");
  if (req.replace)
    std::cerr << "Replacing attestation predicate: " << req.predicate_type << "\n";
  int code = kOk;
  auto done =
      sign::sign_all(batch, req.refs, req.inputs, [&](std::size_t i, const sign::RefSigned& r) {
        if (int c = print_signed(req.inputs[i], req.refs[i], r, cosign::Kind::attestation);
            code == kOk)
          code = c;
      });
  if (int c = print_rechecks(done.rechecks, cosign::Kind::attestation); code == kOk)
    code = c;
  print_debug_stats(client);
  return code;
}

} // namespace isign::cli
