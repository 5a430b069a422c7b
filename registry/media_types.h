// The manifest media types isign reads and writes (OCI and Docker, images and indexes), and how
// a registry's answer is classified by its Content-Type and body.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace isign::registry {

inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";

// Whether media_type is one of the four above (compared exactly: pass bare_media_type()).
bool is_manifest_type(std::string_view media_type);
// Whether media_type names an index: kOciIndex or kDockerManifestList.
bool is_index_type(std::string_view media_type);

// The media type of a Content-Type header value: without parameters, trailing blanks and case.
std::string bare_media_type(std::string_view content_type);
// Whether a bare Content-Type says nothing about which manifest it is (empty, application/json,
// text/plain, application/octet-stream): the body has to decide.
bool is_generic_type(std::string_view media_type);

// The media type of a manifest answer, decided by its Content-Type header value and its body
// together: only image manifests and indexes are accepted, and the Content-Type, the body's
// "mediaType" and the body's shape ("manifests" makes an index) must agree. A generic
// Content-Type without a "mediaType" is taken from the shape (kOciIndex or kOciManifest).
// Registry error (one line, quoting at most 100 characters of registry text) otherwise.
common::Result<std::string> manifest_media_type(std::string_view content_type,
                                                std::string_view bytes);

} // namespace isign::registry
