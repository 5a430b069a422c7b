#include <filesystem>
#include <iostream>
#include <system_error>

#include "cli/cli.h"
#include "common/file.h"
#include "verify/containers_writer.h"
#include "verify/policy.h"

namespace isign::cli {

namespace {

constexpr std::string_view kName = "policy containers";

common::Result<void> make_dir(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec)
    return common::make_error(common::ErrorKind::io,
                              "cannot create directory '" + path + "': " + ec.message());
  return {};
}

int containers(int argc, char** argv) {
  cxxopts::Options opts(
      std::string(kName),
      "Write what `isign verify --policy FILE` enforces as /etc/containers files, so that podman, "
      "skopeo and CRI-O refuse what isign refuses (the .sig format): DIR/policy.json "
      "(containers-policy.json, keys embedded) and DIR/registries.d/isign.yaml (sigstore "
      "attachments for the signed scopes). What a node cannot check (annotations, identity "
      "\"none\", a threshold below the number of keys) is refused; attestation rules are left to "
      "admission, with a warning.\n"
      "Usage: isign policy containers --policy FILE --out DIR");
  opts.add_options()("policy", "the isign policy or containers-policy.json to write",
                     cxxopts::value<std::string>(), "FILE")(
      "out", "the directory to write (created if missing; its files are replaced)",
      cxxopts::value<std::string>(), "DIR")("h,help", "show this help");
  int exit = kOk;
  auto args = parse(opts, argc, argv, &exit);
  if (!args)
    return exit;
  if (!args->count("policy"))
    return usage_error(kName, "--policy FILE is required");
  if (!args->count("out"))
    return usage_error(kName, "--out DIR is required");
  const std::string path = (*args)["policy"].as<std::string>();
  const std::string out = (*args)["out"].as<std::string>();
  auto policy = verify::load_policy_file(path);
  if (!policy)
    return report(std::move(policy).error().context("policy '" + path + "'"));
  auto files = verify::write_containers_policy(*policy);
  if (!files)
    return report(std::move(files).error().context("writing '" + path + "' for containers"));
  for (const auto& w : files->warnings)
    warn(w);

  const std::string regd = out + "/registries.d";
  if (auto made = make_dir(regd); !made)
    return report(made.error());
  // registries.d first: a policy.json without it would look for no sigstore signature and refuse
  // every signed image. Each file is replaced whole (temporary file and rename) or not at all.
  const std::string yaml = regd + "/isign.yaml";
  if (auto w =
          common::write_file_atomic(yaml, files->registries_yaml, 0644, common::Overwrite::yes);
      !w)
    return report(std::move(w).error().context("writing the registries.d file"));
  const std::string json = out + "/policy.json";
  if (auto w = common::write_file_atomic(json, files->policy_json, 0644, common::Overwrite::yes);
      !w)
    return report(std::move(w).error().context("writing the containers policy"));
  std::cout << "wrote " << one_line(json) << "\nwrote " << one_line(yaml) << "\n" << std::flush;
  if (!std::cout)
    return report(common::make_error(common::ErrorKind::io, "cannot write to stdout"));
  return kOk;
}

} // namespace

int cmd_policy(int argc, char** argv) {
  const std::string sub = argc > 1 ? argv[1] : "";
  if (sub == "containers")
    return containers(argc - 1, argv + 1);
  if (sub == "-h" || sub == "--help") {
    std::cout << "Write a policy for other enforcers.\n"
                 "Usage: isign policy containers --policy FILE --out DIR\n";
    return kOk;
  }
  return usage_error("policy", sub.empty()
                                   ? "no subcommand given: use containers"
                                   : "unknown subcommand '" + one_line(sub) + "': use containers");
}

} // namespace isign::cli
