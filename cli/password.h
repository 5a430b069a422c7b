// Passwords for private keys and yes/no questions on the terminal. Shared by generate-key-pair,
// import-key-pair, public-key and sign.
#pragma once

#include <cxxopts.hpp>
#include <string>

#include "common/result.h"
#include "common/secret.h"
#include "keys/keys.h"

namespace isign::cli {

enum class PasswordPurpose {
  decrypt, // unlocking an existing key: asked once
  create,  // protecting a new key: asked twice on a terminal, and both must match
};

// The environment variable cosign reads; set to an empty value, it means the empty password.
inline constexpr const char* kPasswordEnv = "COSIGN_PASSWORD";

// The password for a private key, from the first source that applies:
//  1. password_file, when not empty: its first line without the '\n' (containers/image's
//     passphrase-file rule); "-" reads that line from stdin;
//  2. COSIGN_PASSWORD, when set (even to "");
//  3. a prompt without echo on the controlling terminal (/dev/tty).
// Errors: io (unreadable file), password (the two entries differ), usage (no source at all: the
// message says to set COSIGN_PASSWORD or use --password-file).
common::Result<common::SecretString> read_password(PasswordPurpose purpose,
                                                   const std::string& password_file);

// Adds "--password-file FILE" with the shared help text; read it back with
// result["password-file"].as<std::string>() ("" when absent).
void add_password_file_option(cxxopts::Options& opts);

// Asks "<question> (y/n)? " on the terminal; true only for an answer of y or yes. An error (kind
// usage) when there is no terminal to ask on.
common::Result<bool> confirm_on_terminal(const std::string& question);

// Loads the encrypted private key at path: the file is read and checked before the password is
// asked (read_password with PasswordPurpose::decrypt), then decrypted. Errors carry the context
// "loading private key 'PATH'".
common::Result<keys::PrivateKey> load_private_key(const std::string& path,
                                                  const std::string& password_file);

} // namespace isign::cli
