#include <iostream>

#include "cli/cli.h"
#include "cli/password.h"
#include "common/file.h"
#include "sign/signer.h"

namespace isign::cli {

namespace {

// A blob to sign or verify is read whole; larger files are refused rather than half-read. A named
// pipe is waited on until its writer comes, however late: what is signed is what it writes.
constexpr std::size_t kMaxBlobSize = std::size_t{1} << 30;

} // namespace

common::Result<std::string> read_blob(const std::string& path) {
  auto blob = common::read_file(path, kMaxBlobSize, common::FifoWait::until_writer);
  ISIGN_TRY_CONTEXT(blob, "reading '" + path + "'");
  return blob;
}

int cmd_sign_blob(int argc, char** argv) {
  constexpr std::string_view kName = "sign-blob";
  cxxopts::Options opts(std::string(kName),
                        "Sign a file as cosign v3's sign-blob does: the base64 signature on "
                        "stdout (or --output-signature FILE) and, with --bundle FILE, a sigstore "
                        "bundle v0.3 (messageSignature) for verify-blob --bundle.\n"
                        "Usage: isign sign-blob --key cosign.key [--bundle FILE] FILE");
  opts.add_options()("key", "the encrypted private key", cxxopts::value<std::string>(), "FILE")(
      "bundle", "write the sigstore bundle to FILE", cxxopts::value<std::string>(),
      "FILE")("output-signature", "write the base64 signature to FILE instead of stdout",
              cxxopts::value<std::string>(), "FILE")(
      "new-bundle-format", "accepted for cosign compatibility; the bundle is always v0.3",
      cxxopts::value<std::string>()->implicit_value("true"),
      "BOOL")("tlog-upload", "accepted for cosign compatibility; isign has no transparency log",
              cxxopts::value<bool>()->default_value("false")->implicit_value("true"))(
      "y,yes", "accepted for cosign compatibility; isign never asks for confirmation")(
      "file", "the file to sign", cxxopts::value<std::string>())("h,help", "show this help");
  add_password_file_option(opts);
  int exit = kOk;
  auto args = parse(opts, {"file", "FILE"}, argc, argv, &exit);
  if (!args)
    return exit;
  if (!args->count("key"))
    return usage_error(kName, "--key FILE is required");
  if (!args->count("file"))
    return usage_error(kName, "no file to sign given");
  auto blob = read_blob((*args)["file"].as<std::string>());
  if (!blob)
    return report(blob.error());
  auto key = load_private_key((*args)["key"].as<std::string>(),
                              (*args)["password-file"].as<std::string>());
  if (!key)
    return report(key.error());
  auto signed_blob = sign::sign_blob(*key, *blob);
  if (!signed_blob)
    return report(signed_blob.error());
  if (args->count("bundle")) {
    const std::string path = (*args)["bundle"].as<std::string>();
    if (auto w = common::write_file_atomic(path, signed_blob->bundle, 0644, common::Overwrite::yes);
        !w)
      return report(std::move(w).error().context("writing the bundle"));
    std::cerr << "Wrote bundle to file " << one_line(path) << "\n";
  }
  if (args->count("output-signature")) {
    const std::string path = (*args)["output-signature"].as<std::string>();
    if (auto w =
            common::write_file_atomic(path, signed_blob->signature, 0644, common::Overwrite::yes);
        !w)
      return report(std::move(w).error().context("writing the signature"));
    std::cerr << "Wrote signature to file " << one_line(path) << "\n";
    return kOk;
  }
  std::cout << signed_blob->signature << "\n" << std::flush;
  if (!std::cout)
    return report(common::make_error(common::ErrorKind::io, "cannot write to stdout"));
  return kOk;
}

} // namespace isign::cli
