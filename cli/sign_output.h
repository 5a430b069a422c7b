// What sign and attest share around sign's batch (sign/batch.h): the signer they open before
// anything touches the registry, and what they print: per reference, the tag warning, each entry
// pushed and what attaching it did, then the errors; and the recheck once the batch ended.
#pragma once

#include <cxxopts.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cosign/store.h"
#include "cosign/stored.h"
#include "keys/keys.h"
#include "registry/client.h"
#include "registry/reference.h"
#include "sign/batch.h"

namespace isign::cli {

// The key (--key, --password-file), the attach options naming its public half as the signer's
// (and the watch after a PUT whose outcome is unknown, from --timeout), and the registry client
// (the registry flags). Kept in place: attach.signer_key points into it.
struct Signer {
  std::optional<keys::PrivateKey> key;
  std::optional<keys::PublicKey> public_key;
  cosign::AttachOptions attach;
  std::unique_ptr<registry::Client> client;

  Signer() = default;
  Signer(const Signer&) = delete;
  Signer& operator=(const Signer&) = delete;
};

// Opens signer from the flags, the key first: a wrong password stops us before anything touches
// the registry. kOk, or the exit code of the error printed.
int open_signer(const cxxopts::ParseResult& args, Signer& signer);

// Prints what signing (kind signature) or attesting one reference did, input as the user gave
// it: its messages on stderr, then its errors. Returns the first failure's exit code (kOk when
// there was none).
int print_signed(const std::string& input, const registry::Reference& ref, const sign::RefSigned& r,
                 cosign::Kind kind);

// What checking every entry written once more found: a concurrent signer's replacement is a
// warning (the entry is back), a failure its error. Returns the first failure's exit code.
int print_rechecks(const std::vector<sign::Recheck>& rechecks, cosign::Kind kind);

} // namespace isign::cli
