#include <algorithm>
#include <iostream>

#include "cli/attached_targets.h"
#include "cli/cli.h"
#include "cli/registry_options.h"
#include "cosign/tree.h"

namespace isign::cli {

namespace {

constexpr std::string_view kName = "tree";

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts)
    out += (out.empty() ? "" : ", ") + p;
  return out;
}

// One entry's line after its branch: what it is, whose, what it says, who reads it.
std::string describe(const cosign::TreeEntry& e) {
  std::string out;
  if (e.layer)
    out += "layer " + std::to_string(*e.layer) + " " + e.digest;
  else
    out += e.where;
  out += e.kind ? " " + std::string(cosign::kind_name(*e.kind)) : " other artifact";
  if (!e.kind && !e.artifact_type.empty())
    out += " (" + e.artifact_type + ")";
  if (e.kind || e.format == cosign::Format::legacy) {
    out += ", key " + (e.key_id.empty() ? std::string("unknown") : e.key_id);
    if (!e.key_name.empty())
      out += " (" + e.key_name + ")";
  }
  if (!e.predicate_type.empty() && e.kind == cosign::Kind::attestation)
    out += ", predicateType " + e.predicate_type;
  if (!e.created.empty())
    out += ", created " + e.created;
  if (e.format == cosign::Format::legacy && !e.annotations.empty()) {
    std::string a;
    for (const auto& [k, v] : e.annotations)
      a += (a.empty() ? "" : " ") + k + "=" + v;
    out += ", annotations " + a;
  }
  out += ", seen by " + (e.seen_by.empty() ? std::string("no verifier") : joined(e.seen_by));
  return one_line(out);
}

// cosign tree's shape: the image, then a branch per place and a leaf per entry.
void print_text(const cosign::ImageTree& image) {
  const std::string name = image.subject.repository.str() + "@" + image.subject.digest;
  if (image.entries.empty()) {
    std::cout << "No supply chain artifacts found for " << image.role << " " << name << "\n";
    return;
  }
  std::cout << "Supply chain artifacts for " << image.role << " " << name << "\n";
  // Places in order of first appearance: each legacy tag, then the referrers.
  std::vector<std::string> places;
  auto place_of = [](const cosign::TreeEntry& e) {
    return e.format == cosign::Format::legacy ? e.where : std::string("referrers");
  };
  for (const auto& e : image.entries)
    if (std::find(places.begin(), places.end(), place_of(e)) == places.end())
      places.push_back(place_of(e));
  for (std::size_t p = 0; p < places.size(); ++p) {
    const bool last_place = p + 1 == places.size();
    std::vector<const cosign::TreeEntry*> leaves;
    for (const auto& e : image.entries)
      if (place_of(e) == places[p])
        leaves.push_back(&e);
    std::string title = places[p];
    if (title == "referrers")
      title = "referrers (sigstore bundles and other artifacts) of " + name;
    else
      title = (leaves.front()->kind == cosign::Kind::signature ? "signatures (legacy): "
                                                               : "attestations (legacy): ") +
              title;
    std::cout << (last_place ? "└── " : "├── ") << one_line(title) << "\n";
    for (std::size_t i = 0; i < leaves.size(); ++i)
      std::cout << (last_place ? "    " : "│   ") << (i + 1 == leaves.size() ? "└── " : "├── ")
                << describe(*leaves[i]) << "\n";
  }
}

} // namespace

int cmd_tree(int argc, char** argv) {
  cxxopts::Options opts(
      std::string(kName),
      "Show everything attached to an image (and, for an index, to each child), in both "
      "formats: each .sig and .att layer, each sigstore bundle referrer, other referrers; where "
      "it lives, its kind, key id (a bundle's public key hint; for a legacy layer the --key it "
      "verifies under, else unknown), predicateType, annotations, created time, and which "
      "verifiers read it (containers/image, cosign v2, cosign v3, isign).\n"
      "Usage: isign tree [--output text|json] [--key K.pub ...] REF");
  opts.add_options()("output", "text (default) or json (README: schema 1)",
                     cxxopts::value<std::string>()->default_value("text"),
                     "FORMAT")("key", "a public key (PEM) to name legacy layers with; repeatable",
                               cxxopts::value<std::vector<std::string>>(), "K.pub")(
      "image", "image reference", cxxopts::value<std::string>())("h,help", "show this help");
  add_registry_options(opts);
  int exit = kOk;
  auto args = parse(opts, {"image", "REF"}, argc, argv, &exit);
  if (!args)
    return exit;
  if (!args->count("image"))
    return usage_error(kName, "no image reference given");
  const std::string output = (*args)["output"].as<std::string>();
  if (output != "text" && output != "json")
    return usage_error(kName, "unsupported --output '" + output + "': use text or json");
  std::vector<cosign::TreeKey> keys;
  if (args->count("key")) {
    auto loaded = load_tree_keys((*args)["key"].as<std::vector<std::string>>());
    if (!loaded)
      return report(loaded.error());
    keys = std::move(*loaded);
  }
  auto ref = registry::Reference::parse((*args)["image"].as<std::string>());
  if (!ref)
    return report(ref.error());
  auto client = make_client(*args);
  if (!client)
    return report(client.error());
  auto targets = resolve_attached_targets(**client, *ref, true);
  if (!targets)
    return report(targets.error());
  std::vector<cosign::ImageTree> images;
  for (const auto& t : *targets) {
    auto entries = cosign::describe_attached(**client, t.subject, keys);
    if (!entries)
      return report(std::move(entries).error().context(
          "listing what is attached to " + ref->repository.str() + "@" + t.subject.digest));
    images.push_back({t.subject, t.role, std::move(*entries)});
  }
  if (output == "json") {
    std::cout << cosign::tree_json(images) << "\n";
    return kOk;
  }
  for (const auto& image : images)
    print_text(image);
  return kOk;
}

} // namespace isign::cli
