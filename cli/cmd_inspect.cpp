#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/registry_options.h"
#include "registry/reference.h"

namespace isign::cli {

int cmd_inspect(int argc, char** argv) {
  constexpr std::string_view kName = "inspect";
  cxxopts::Options opts(std::string(kName),
                        "Show an image manifest's digest, media type and size.\n"
                        "Usage: isign inspect [--format '{{.Digest}}'] [--raw] REF");
  opts.add_options()("format", "'{{.Digest}}', '{{.MediaType}}' or '{{.Size}}': print one field",
                     cxxopts::value<std::string>(),
                     "TEMPLATE")("raw", "print the manifest's exact bytes")(
      "image", "image reference", cxxopts::value<std::string>())("h,help", "show this help");
  add_registry_options(opts);
  int exit = kOk;
  auto args = parse(opts, {"image", "REF"}, argc, argv, &exit);
  if (!args)
    return exit;
  if (!args->count("image"))
    return usage_error(kName, "no image reference given");
  std::string format = args->count("format") ? (*args)["format"].as<std::string>() : "";
  if (!format.empty() && format != "{{.Digest}}" && format != "{{.MediaType}}" &&
      format != "{{.Size}}")
    return usage_error(kName, "unsupported --format '" + format +
                                  "': use {{.Digest}}, {{.MediaType}} or {{.Size}}");
  auto ref = registry::Reference::parse((*args)["image"].as<std::string>());
  if (!ref)
    return report(ref.error());
  auto client = make_client(*args);
  if (!client)
    return report(client.error());
  auto manifest = (*client)->get_manifest(ref->repository, ref->identifier());
  if (!manifest)
    return report(std::move(manifest).error().context("inspecting '" + ref->str() + "'"));
  if (args->count("raw")) {
    std::cout << manifest->bytes << std::flush;
    return kOk;
  }
  if (format == "{{.Digest}}") {
    std::cout << manifest->digest << '\n';
  } else if (format == "{{.MediaType}}") {
    std::cout << one_line(manifest->media_type) << '\n'; // the registry's text: no escapes
  } else if (format == "{{.Size}}") {
    std::cout << manifest->bytes.size() << '\n';
  } else {
    nlohmann::ordered_json out;
    out["Name"] = ref->repository.str();
    if (!ref->tag.empty())
      out["Tag"] = ref->tag;
    out["Digest"] = manifest->digest;
    out["MediaType"] = manifest->media_type;
    out["Size"] = manifest->bytes.size();
    // The registry's text may not be UTF-8, which dump() throws on by default.
    std::cout << out.dump(4, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  }
  return kOk;
}

} // namespace isign::cli
