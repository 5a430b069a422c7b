#include "cosign/store.h"

namespace isign::cosign {

using common::Error;
using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

// Several stores, one format each, read in order: find merges what each holds.
class CompositeStore final : public SignatureStore {
public:
  explicit CompositeStore(std::vector<FormatStore> stores) : stores_(std::move(stores)) {}

  Result<StoredSignatures> find(const Subject& subject) override { return find_until(subject, {}); }

  Result<StoredSignatures> find_until(const Subject& subject, const Enough& enough) override {
    StoredSignatures out;
    std::vector<Error> none; // no_signature answers
    for (auto& s : stores_) {
      auto found = s.store->find(subject);
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

  // Every backend fetches from the subject's repository: the first one serves.
  Result<std::string> fetch_payload(const Subject& subject, std::string_view digest,
                                    std::size_t max_size) override {
    return stores_.front().store->fetch_payload(subject, digest, max_size);
  }

  Result<AttachResult> attach(const Subject& subject, const NewSignature& sig,
                              const AttachOptions& options) override {
    for (auto& s : stores_)
      if (s.format == sig.format)
        return s.store->attach(subject, sig, options);
    return make_error(ErrorKind::internal, "no store for the " +
                                               std::string(format_name(sig.format)) +
                                               " format was chosen");
  }

private:
  std::vector<FormatStore> stores_;
};

} // namespace

std::unique_ptr<SignatureStore> make_format_store(registry::Client& client, Format format,
                                                  Kind kind) {
  return format == Format::bundle ? make_referrers_store(client, kind)
                                  : make_tag_store(client, kind);
}

Result<std::unique_ptr<SignatureStore>> make_composite_store(std::vector<FormatStore> stores) {
  if (stores.empty())
    return make_error(ErrorKind::usage, "no signature format chosen");
  for (std::size_t i = 0; i < stores.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (stores[i].format == stores[j].format)
        return make_error(ErrorKind::usage, "the " + std::string(format_name(stores[i].format)) +
                                                " format is chosen twice");
  return std::unique_ptr<SignatureStore>(std::make_unique<CompositeStore>(std::move(stores)));
}

Result<std::unique_ptr<SignatureStore>> make_store(registry::Client& client, const Formats& formats,
                                                   Kind kind) {
  std::vector<FormatStore> stores;
  for (Format f : formats)
    stores.push_back(FormatStore{f, make_format_store(client, f, kind)});
  return make_composite_store(std::move(stores));
}

} // namespace isign::cosign
