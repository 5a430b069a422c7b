// Signing a list of references: every reference resolved and every manifest it stands for signed
// in each format asked for and attached, many at once over one registry client; then every entry
// written checked once more. What sign and attest share: they differ only in what they sign
// (Batch::make) and in the kind of the store they attach to.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "cosign/store.h"
#include "registry/client.h"
#include "registry/reference.h"
#include "registry/resolve.h"

namespace isign::sign {

// What one batch signs with and where it writes.
struct Batch {
  registry::Client& client;      // resolves references (and is the store's place)
  cosign::SignatureStore& store; // where each entry is attached (its kind: sign's or attest's)
  cosign::AttachOptions attach{};
  registry::Selection selection{};
  cosign::Formats formats = cosign::kBothFormats; // one entry per format, in this order
  bool upload = true;       // false: make the entries (and call on_signed), attach nothing
  std::size_t workers = 32; // references at a time; each attaches its formats side by side
  // Formats attached at once per target (0: all side by side). attest attaches one at a time
  // when its entries run to tens of MB, so that their read-backs do not overlap in memory.
  std::size_t formats_at_once = 0;
  std::string verb = "signing"; // errors' context: "signing 'reg/app@sha256:...'"
  std::string command = "sign"; // what to run again to complete a half-written target
  // The entry of subject in format (sign: sign_image; attest: the envelope of a statement).
  std::function<common::Result<cosign::NewSignature>(const cosign::Subject&, cosign::Format)>
      make{};
  // Called with a target's entries (one per format) before they are attached; an error stops that
  // target (sign's --output-signature). Optional.
  std::function<common::Result<void>(const std::vector<cosign::NewSignature>&)> on_signed{};
};

// What attaching one entry came to.
struct Attached {
  cosign::Format format = cosign::Format::legacy;
  common::Result<cosign::AttachResult> result;
};

// One manifest a reference stands for, signed.
struct TargetSigned {
  registry::Target target;
  std::string name;          // repo@digest, for messages
  bool named_by_tag = false; // the user named it by a tag (an index child never is)
  // Making the entries (in context: "signing 'name'") or on_signed (as it failed) failed:
  // nothing attached.
  std::optional<common::Error> error;
  std::vector<cosign::NewSignature> entries; // what was made, one per format
  std::vector<Attached> attached;            // one per entry, in order (upload only)
  // Each attach that failed, in context; one entry written and another refused says what was
  // written ("the signature (cosign v2 .sig) was written, but the bundle (cosign v3 referrer) was
  // not (run sign again to complete it)"); the rerun hint only where the registry or the network
  // stopped it (a refusal of isign's own would come again).
  std::vector<common::Error> attach_errors;
};

// What one reference came to.
struct RefSigned {
  std::optional<common::Error> error; // resolving failed (nothing signed)
  std::vector<TargetSigned> targets;  // in resolution order
};

// One entry written during the batch, attached again when the batch was done.
struct Recheck {
  std::string name;
  cosign::Format format = cosign::Format::legacy;
  common::Result<cosign::AttachResult> result; // already_present: it was still there
};

struct BatchResult {
  std::vector<RefSigned> refs; // one per reference, in order
  std::vector<Recheck> rechecks;
};

// Signs refs (named inputs[i] in messages) as batch says. on_done(i, outcome), when set, is called
// for each reference in order as soon as it and every reference before it are done (the CLI prints
// there), never two at once. When every reference is done, each entry created or attached is
// attached again, a no-op (a read or two) where it is still there: distribution has no
// compare-and-swap on tags, and a concurrent signer whose PUT landed after our read-back may have
// replaced it; by then such a write has landed, and the entry is merged back in. Never fails as a
// whole: errors land in the outcomes.
BatchResult sign_all(const Batch& batch, const std::vector<registry::Reference>& refs,
                     const std::vector<std::string>& inputs,
                     const std::function<void(std::size_t, const RefSigned&)>& on_done = {});

} // namespace isign::sign
