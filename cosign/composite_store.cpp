#include "cosign/store.h"

namespace isign::cosign {

using common::Error;
using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

// The formats chosen, each in its backend: find merges what each holds.
class CompositeStore final : public SignatureStore {
public:
  CompositeStore(registry::Client& client, Formats formats) {
    if (formats.legacy)
      legacy_ = make_tag_store(client);
    if (formats.bundle)
      bundle_ = make_referrers_store(client);
  }

  Result<std::string> location(const Subject& subject) const override {
    std::string out;
    for (const auto* s : {legacy_.get(), bundle_.get()}) {
      if (!s)
        continue;
      auto where = s->location(subject);
      if (!where)
        return std::move(where).error();
      out += (out.empty() ? "" : ", ") + *where;
    }
    return out;
  }

  Result<StoredSignatures> find(const Subject& subject) override { return find_until(subject, {}); }

  Result<StoredSignatures> find_until(const Subject& subject, const Enough& enough) override {
    StoredSignatures out;
    std::vector<Error> none; // no_signature answers
    for (auto* s : {legacy_.get(), bundle_.get()}) {
      if (!s)
        continue;
      auto found = s->find(subject);
      if (!found) {
        if (found.error().kind() == ErrorKind::no_signature)
          none.push_back(std::move(found).error());
        else
          out.unread.push_back(std::move(found).error());
        continue;
      }
      for (auto& l : found->layers) {
        if (l.where.empty())
          l.where = subject.repository.str() + ":" + found->where;
        out.layers.push_back(std::move(l));
      }
      out.where += (out.where.empty() ? "" : " and ") + found->where;
      if (enough && enough(out))
        break;
    }
    if (out.layers.empty()) {
      // Nothing read: a place that could not be read decides (never "unsigned").
      if (!out.unread.empty())
        return std::move(out.unread.front());
      std::string message;
      for (const auto& e : none)
        message += (message.empty() ? "" : "; ") + e.message();
      return make_error(ErrorKind::no_signature, message);
    }
    return out;
  }

  Result<std::string> fetch_payload(const Subject& subject, std::string_view digest,
                                    std::size_t max_size) override {
    return (legacy_ ? legacy_ : bundle_)->fetch_payload(subject, digest, max_size);
  }

  Result<AttachResult> attach(const Subject& subject, const NewSignature& sig,
                              const AttachOptions& options) override {
    auto& store = sig.format == SignatureFormat::bundle ? bundle_ : legacy_;
    if (!store)
      return make_error(ErrorKind::internal, std::string("no store for the ") +
                                                 std::string(format_name(sig.format)) +
                                                 " format was chosen");
    return store->attach(subject, sig, options);
  }

private:
  std::unique_ptr<SignatureStore> legacy_;
  std::unique_ptr<SignatureStore> bundle_;
};

} // namespace

Result<std::unique_ptr<SignatureStore>> make_store(registry::Client& client, Formats formats) {
  if (!formats.legacy && !formats.bundle)
    return make_error(ErrorKind::usage, "no signature format chosen");
  return std::unique_ptr<SignatureStore>(std::make_unique<CompositeStore>(client, formats));
}

} // namespace isign::cosign
