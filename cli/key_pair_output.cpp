#include "cli/key_pair_output.h"

#include <cerrno>
#include <cstring>
#include <iostream>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/password.h"
#include "common/file.h"

namespace isign::cli {

using common::ErrorKind;
using common::make_error;
using common::Overwrite;
using common::Result;

namespace {

struct Target {
  std::string path;
  std::string data;
  mode_t mode;
  std::string staged; // complete copy next to path, not yet in place
  bool committed = false;
};

// An existing target is replaced only with --force or a "y" on the terminal.
Result<Overwrite> may_overwrite(const std::vector<Target>& targets, bool force) {
  Overwrite overwrite = Overwrite::no;
  for (const auto& t : targets) {
    if (!common::path_exists(t.path))
      continue;
    if (!force) {
      auto yes = confirm_on_terminal("File " + t.path + " already exists. Overwrite");
      if (!yes)
        return make_error(ErrorKind::io,
                          "'" + t.path + "' already exists; use --force to overwrite it");
      if (!*yes)
        return make_error(ErrorKind::io, "'" + t.path + "' already exists; not overwritten");
    }
    overwrite = Overwrite::yes;
  }
  return overwrite;
}

// Moves a staged file into place; with Overwrite::no an existing path (even one created since we
// checked) is never replaced, as link() fails on it.
Result<void> commit(const Target& t, Overwrite overwrite) {
  int rc = overwrite == Overwrite::yes ? ::rename(t.staged.c_str(), t.path.c_str())
                                       : ::link(t.staged.c_str(), t.path.c_str());
  if (rc != 0) {
    int err = errno;
    if (err == EEXIST)
      return make_error(ErrorKind::io, "'" + t.path + "' already exists");
    return make_error(ErrorKind::io, "cannot write '" + t.path + "': " + std::strerror(err));
  }
  if (overwrite == Overwrite::no)
    ::unlink(t.staged.c_str());
  return {};
}

// Both files are first written completely under temporary names next to their targets (where a
// full disk or a missing directory shows up), then moved into place, private key first.
Result<void> write_files(std::vector<Target>& targets, Overwrite overwrite) {
  auto cleanup = [&] {
    for (auto& t : targets)
      if (!t.staged.empty() && !t.committed)
        ::unlink(t.staged.c_str());
  };
  for (auto& t : targets) {
    std::string staged = t.path + ".isign-new-" + std::to_string(::getpid());
    auto w = common::write_file_atomic(staged, t.data, t.mode, Overwrite::no);
    if (!w) {
      cleanup();
      return std::move(w.error()).context("writing '" + t.path + "'");
    }
    t.staged = staged;
  }
  for (std::size_t i = 0; i < targets.size(); ++i) {
    auto c = commit(targets[i], overwrite);
    if (!c) {
      cleanup();
      // Undo the private key written just before, unless it replaced an older one (then that one
      // is gone already and the message says what is on disk).
      if (i > 0 && overwrite == Overwrite::no) {
        ::unlink(targets[0].path.c_str());
      } else if (i > 0) {
        c.error().context("private key written to " + targets[0].path +
                          ", but the public key "
                          "was not");
      }
      return c;
    }
    targets[i].committed = true;
  }
  return {};
}

} // namespace

int write_new_key_pair(const keys::PrivateKey& key, const KeyPairOutput& output) {
  std::vector<Target> targets = {{output.prefix + ".key", {}, 0600, {}},
                                 {output.prefix + ".pub", {}, 0644, {}}};
  auto overwrite = may_overwrite(targets, output.force);
  if (!overwrite)
    return report(overwrite.error());

  auto password = read_password(PasswordPurpose::create, output.password_file);
  if (!password)
    return report(password.error());
  auto encrypted = keys::encrypt_private_key(
      key, *password, output.legacy ? keys::KeyFileFormat::legacy : keys::KeyFileFormat::sigstore);
  if (!encrypted)
    return report(std::move(encrypted.error()).context("encrypting the private key"));
  targets[0].data = std::move(*encrypted);
  targets[1].data = key.public_key_pem();

  if (auto w = write_files(targets, *overwrite); !w)
    return report(w.error());
  std::cerr << "Private key written to " << targets[0].path << '\n'
            << "Public key written to " << targets[1].path << '\n';
  return kOk;
}

void add_key_pair_output_options(cxxopts::Options& opts, const std::string& default_prefix) {
  opts.add_options()("output-key-prefix", "write NAME.key and NAME.pub",
                     cxxopts::value<std::string>()->default_value(default_prefix),
                     "NAME")("force", "overwrite existing files without asking")(
      "legacy", "write the older 'ENCRYPTED COSIGN PRIVATE KEY' form (scrypt N=32768) that "
                "containers/image 5.23 (podman, skopeo) reads")("h,help", "show this help");
  add_password_file_option(opts);
}

std::optional<KeyPairOutput> key_pair_output(std::string_view command,
                                             const cxxopts::ParseResult& args) {
  KeyPairOutput output;
  output.prefix = args["output-key-prefix"].as<std::string>();
  if (output.prefix.empty()) {
    usage_error(command, "--output-key-prefix is empty");
    return std::nullopt;
  }
  output.force = args.count("force") > 0;
  output.legacy = args.count("legacy") > 0;
  output.password_file = args["password-file"].as<std::string>();
  return output;
}

} // namespace isign::cli
