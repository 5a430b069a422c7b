#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>

#include "cli/cli.h"
#include "cli/copy_pairs.h"
#include "cli/registry_options.h"
#include "common/file.h"
#include "common/parallel.h"
#include "cosign/transfer.h"

namespace isign::cli {

namespace {

constexpr std::string_view kName = "copy";

// The line on stderr that a terminal shows while pairs are copied (none when it is no terminal).
class Progress {
public:
  explicit Progress(std::size_t total) : total_(total), tty_(isatty(STDERR_FILENO) == 1) {}

  void done(const cosign::SignedImageCopy* copy) {
    std::lock_guard lock(mu_);
    ++images_;
    if (copy) {
      blobs_ += copy->image.counts.blobs() + copy->attached.copy.blobs();
      mounted_ += copy->image.counts.blobs_mounted + copy->attached.copy.blobs_mounted;
    }
    if (tty_)
      std::cerr << "\rcopied " << images_ << "/" << total_ << " images, " << blobs_ << " blobs ("
                << mounted_ << " mounted)" << std::flush;
  }
  // Ends the line before other output.
  void clear() {
    std::lock_guard lock(mu_);
    if (tty_ && images_ > 0)
      std::cerr << "\r\x1b[K" << std::flush;
  }

private:
  std::mutex mu_;
  std::size_t total_;
  bool tty_;
  std::size_t images_ = 0, blobs_ = 0, mounted_ = 0;
};

// Copies one pair: resolves its source, checks its destination, copies. Warnings to stderr.
common::Result<cosign::SignedImageCopy> copy_pair(registry::Client& client, CopyPair& pair,
                                                  const registry::CopyOptions& copy,
                                                  const cosign::TransferOptions& options) {
  auto head = client.head_manifest(pair.src.repository, pair.src.identifier());
  ISIGN_TRY_CONTEXT(head, "resolving '" + pair.src_text + "'");
  if (!pair.src.by_digest())
    warn("'" + pair.src_text +
         "' names the image by tag, and a tag can be moved to another image at any time. "
         "Copied the digest it points to now: " +
         pair.src.repository.str() + "@" + head->digest + ".");
  else if (head->digest != pair.src.digest)
    return common::make_error(common::ErrorKind::registry,
                              "'" + pair.src_text + "' resolved to " + head->digest);
  // A copy keeps digests: a destination digest that is not the source's is refused before
  // anything is written (with --platform the copy is the child, checked after).
  if (!pair.dst.digest.empty() && !copy.platform && pair.dst.digest != head->digest)
    return common::make_error(common::ErrorKind::usage, "the destination names " + pair.dst.digest +
                                                            " but the source is " + head->digest +
                                                            " (a copy keeps digests)");
  auto done = cosign::copy_signed_image(client, pair.src.repository, head->digest, client,
                                        pair.dst.repository, pair.dst_tag, copy, options);
  ISIGN_TRY(done);
  if (!pair.dst.digest.empty() && pair.dst.digest != done->image.digest)
    return common::make_error(common::ErrorKind::usage,
                              "the destination names " + pair.dst.digest + " but the copy is " +
                                  done->image.digest + " (a copy keeps digests)");
  return done;
}

} // namespace

int cmd_copy(int argc, char** argv) {
  cxxopts::Options opts(
      std::string(kName),
      "Copy images with their signatures and attestations in both formats (the .sig and .att "
      "tags, sigstore bundle referrers) to another repository or registry. Digests are kept; "
      "blobs already at the destination are skipped, and mounted from the source repository on "
      "the same registry. A rerun copies only what is missing.\n"
      "Usage: isign copy [flags] SRC DST | isign copy [flags] --from-file FILE");
  opts.add_options()("only",
                     "what to carry besides the image: a comma-separated list of sig "
                     "(the .sig tag), att (the .att tag), bundle (the referrers)",
                     cxxopts::value<std::string>(), "LIST")(
      "platform", "for an image index, copy only the child this platform pulls",
      cxxopts::value<std::string>(), "OS/ARCH[/VARIANT]")(
      "force", "replace a destination .sig/.att that differs (default: add the source's layers)")(
      "from-file", "copy the pairs 'SRC DST' of FILE, one a line ('#' comments)",
      cxxopts::value<std::string>(),
      "FILE")("jobs", "pairs copied at once", cxxopts::value<std::size_t>()->default_value("4"),
              "N")("refs", "SRC and DST",
                   cxxopts::value<std::vector<std::string>>())("h,help", "show this help");
  add_registry_options(opts);
  opts.parse_positional({"refs"});
  opts.positional_help("SRC DST");
  int exit = kOk;
  auto args = parse(opts, argc, argv, &exit);
  if (!args)
    return exit;

  std::vector<CopyPair> pairs;
  std::vector<std::string> refs;
  if (args->count("refs"))
    refs = (*args)["refs"].as<std::vector<std::string>>();
  if (args->count("from-file")) {
    if (!refs.empty())
      return usage_error(kName, "give either SRC DST or --from-file, not both");
    const std::string path = (*args)["from-file"].as<std::string>();
    auto text = common::read_file(path);
    if (!text)
      return report(text.error());
    auto parsed = parse_copy_pairs(*text, path);
    if (!parsed)
      return usage_error(kName, parsed.error().message());
    pairs = std::move(*parsed);
  } else {
    if (refs.size() != 2)
      return usage_error(kName, "give SRC and DST (or --from-file FILE)");
    auto pair = make_copy_pair(refs[0], refs[1]);
    if (!pair)
      return report(pair.error());
    pairs.push_back(std::move(*pair));
  }
  if (pairs.empty())
    return usage_error(kName, "the file names no pair to copy");

  registry::CopyOptions copy;
  if (args->count("platform")) {
    auto platform = registry::Platform::parse((*args)["platform"].as<std::string>());
    if (!platform)
      return report(platform.error());
    copy.platform = std::move(*platform);
  }
  cosign::TransferOptions options;
  if (args->count("only")) {
    auto only = parse_only((*args)["only"].as<std::string>(), options);
    if (!only)
      return usage_error(kName, only.error().message());
  }
  options.force = args->count("force") > 0;
  const std::size_t jobs = std::max<std::size_t>(1, (*args)["jobs"].as<std::size_t>());
  auto client = make_client(*args, jobs);
  if (!client)
    return report(client.error());

  Progress progress(pairs.size());
  std::vector<std::optional<common::Result<cosign::SignedImageCopy>>> results(pairs.size());
  common::parallel_for(pairs.size(), jobs, [&](std::size_t i) {
    auto r = copy_pair(**client, pairs[i], copy, options);
    progress.done(r ? &*r : nullptr);
    results[i] = std::move(r);
  });
  progress.clear();
  int code = kOk;
  std::size_t failed = 0;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    auto& r = *results[i];
    if (r) {
      std::cout << copy_summary("copied", pairs[i].src_text, pairs[i].dst.repository.str(), *r)
                << '\n';
      continue;
    }
    ++failed;
    int c = report(std::move(r).error().context("copying '" + pairs[i].src_text + "' to '" +
                                                pairs[i].dst_text + "'"));
    if (code == kOk)
      code = c;
  }
  if (pairs.size() > 1 && failed > 0)
    std::cerr << "isign: " << failed << " of " << pairs.size() << " copies failed\n";
  print_debug_stats(**client);
  return code;
}

} // namespace isign::cli
