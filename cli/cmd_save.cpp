// isign save and isign load: an image with everything attached to it to an OCI layout on disk,
// and every image of a layout with what is attached to it to a registry. Both are copies
// (cosign/transfer.h) between a registry and the layout client.
#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/cli.h"
#include "cli/copy_pairs.h"
#include "cli/registry_options.h"
#include "cosign/transfer.h"

namespace isign::cli {

namespace {

void add_layout_options(cxxopts::Options& opts) {
  opts.add_options()("dir", "the OCI layout directory", cxxopts::value<std::string>(), "DIR")(
      "only", "what to carry besides the image: sig, att, bundle (comma-separated)",
      cxxopts::value<std::string>(), "LIST")(
      "image", "image reference", cxxopts::value<std::string>())("h,help", "show this help");
  add_registry_options(opts);
}

// The layout at --dir as a repository, and --only: kOk or the exit code of the error printed.
int read_layout_flags(std::string_view name, const cxxopts::ParseResult& args,
                      registry::Repository& layout, cosign::TransferOptions& options) {
  if (!args.count("dir"))
    return usage_error(name, "--dir DIR is required");
  if (!args.count("image"))
    return usage_error(name, "no image reference given");
  auto parsed = registry::Reference::parse("oci:" + args["dir"].as<std::string>());
  if (!parsed)
    return report(std::move(parsed).error().context("--dir"));
  if (!parsed->tag.empty() || parsed->by_digest())
    return usage_error(name, "--dir takes a directory (without ':')");
  layout = parsed->repository;
  if (args.count("only"))
    if (auto only = parse_only(args["only"].as<std::string>(), options); !only)
      return usage_error(name, only.error().message());
  return kOk;
}

// What save and load share: their flags read, REF parsed, the client made.
struct LayoutRun {
  registry::Repository layout;
  cosign::TransferOptions options;
  std::string input;
  registry::Reference ref;
  std::unique_ptr<registry::Client> client;
};

// The run of command `name` (described by `about`), or nullopt with exit holding the code of the
// error printed.
std::optional<LayoutRun> start(std::string_view name, const std::string& about, int argc,
                               char** argv, int& exit) {
  cxxopts::Options opts(std::string(name), about);
  add_layout_options(opts);
  exit = kOk;
  auto args = parse(opts, {"image", "REF"}, argc, argv, &exit);
  if (!args)
    return std::nullopt;
  LayoutRun run;
  if (exit = read_layout_flags(name, *args, run.layout, run.options); exit != kOk)
    return std::nullopt;
  run.input = (*args)["image"].as<std::string>();
  auto ref = registry::Reference::parse(run.input);
  if (!ref) {
    exit = report(ref.error());
    return std::nullopt;
  }
  run.ref = std::move(*ref);
  auto client = make_client(*args);
  if (!client) {
    exit = report(client.error());
    return std::nullopt;
  }
  run.client = std::move(*client);
  return run;
}

} // namespace

int cmd_save(int argc, char** argv) {
  constexpr std::string_view kName = "save";
  int exit = kOk;
  auto run = start(kName,
                   "Save an image (every platform) with its signatures and attestations in "
                   "both formats to an OCI layout directory, as cosign save does: the image "
                   "tagged with REF's tag (else its digest's hex), its .sig/.att entries and "
                   "referrers beside it. Entries already in DIR are kept.\n"
                   "Usage: isign save --dir DIR REF",
                   argc, argv, exit);
  if (!run)
    return exit;
  auto head = run->client->head_manifest(run->ref.repository, run->ref.identifier());
  if (!head)
    return report(std::move(head).error().context("resolving '" + run->input + "'"));
  if (!run->ref.by_digest())
    warn("'" + run->input + "' names the image by tag: saved the digest it points to now, " +
         head->digest);
  const std::string tag = !run->ref.tag.empty() ? run->ref.tag : head->digest.substr(7);
  auto done = cosign::copy_signed_image(*run->client, run->ref.repository, head->digest,
                                        *run->client, run->layout, tag, {}, run->options);
  if (!done)
    return report(
        std::move(done).error().context("saving '" + run->input + "' to " + run->layout.str()));
  std::cout << copy_summary("saved", run->input, run->layout.str() + ":" + tag, *done) << '\n';
  print_debug_stats(*run->client);
  return kOk;
}

int cmd_load(int argc, char** argv) {
  constexpr std::string_view kName = "load";
  int exit = kOk;
  auto run = start(kName,
                   "Push every image of an OCI layout directory (each entry tagged with "
                   "org.opencontainers.image.ref.name but the .sig/.att and referrers "
                   "tags), with what is attached to it, to REF's repository: tagged REF's "
                   "tag when it has one, else its own.\n"
                   "Usage: isign load --dir DIR REF",
                   argc, argv, exit);
  if (!run)
    return exit;
  if (run->ref.by_digest())
    return usage_error(kName, "REF is a repository, with a tag or none: not a digest");
  auto tags = run->client->list_tags(run->layout);
  if (!tags)
    return report(std::move(tags).error().context("reading " + run->layout.str()));
  const auto images = std::count_if(tags->begin(), tags->end(), [](const std::string& tag) {
    return !cosign::is_attachment_tag(tag);
  });
  // One tag for several images would name only the last one loaded.
  if (!run->ref.tag.empty() && images > 1)
    return usage_error(kName, run->layout.str() + " holds " + std::to_string(images) +
                                  " images: give REF without a tag (each keeps its own) to load "
                                  "them all");
  int code = kOk;
  std::size_t loaded = 0;
  for (const auto& tag : *tags) {
    if (cosign::is_attachment_tag(tag))
      continue;
    const std::string what = run->layout.str() + ":" + tag;
    auto m = run->client->head_manifest(run->layout, tag);
    common::Result<cosign::SignedImageCopy> done =
        m ? cosign::copy_signed_image(*run->client, run->layout, m->digest, *run->client,
                                      run->ref.repository,
                                      run->ref.tag.empty() ? tag : run->ref.tag, {}, run->options)
          : common::Result<cosign::SignedImageCopy>(std::move(m).error());
    if (!done) {
      int c = report(std::move(done).error().context("loading " + what));
      if (code == kOk)
        code = c;
      continue;
    }
    ++loaded;
    std::cout << copy_summary("loaded", what, run->ref.repository.str(), *done) << '\n';
  }
  if (loaded == 0 && code == kOk)
    return report(common::make_error(common::ErrorKind::not_found,
                                     run->layout.str() + " holds no tagged image to load"));
  print_debug_stats(*run->client);
  return code;
}

} // namespace isign::cli
