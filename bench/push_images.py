#!/usr/bin/env python3
"""Pushes N small distinct images over one keep-alive connection and prints each as
REPOSITORY@DIGEST, one per line: one shared layer, one config per image. By default to
REGISTRY/REPO with tags v1..vN; with --one-repo-each to REGISTRY/REPO-1..REPO-N, tag v1 (a
repository with thousands of tags makes every signer's tag-list lookups long). For the benchmarks,
where pushing thousands of images with curl would take longer than what is measured.
Usage: push_images.py REGISTRY REPO N [--one-repo-each]"""
import hashlib
import http.client
import json
import sys


def main() -> None:
    registry, base, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    each = "--one-repo-each" in sys.argv[4:]
    conn = http.client.HTTPConnection(registry)

    def request(method, url, body=None, headers=None):
        conn.request(method, url, body=body, headers=headers or {})
        response = conn.getresponse()
        response.read()
        if response.status >= 300:
            sys.exit(f"{method} {url}: {response.status}")
        return response

    def push_blob(repo: str, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        location = request("POST", f"/v2/{repo}/blobs/uploads/").getheader("Location")
        if location.startswith("http"):
            location = location.split("/", 3)[3]
            location = "/" + location
        sep = "&" if "?" in location else "?"
        request("PUT", f"{location}{sep}digest={digest}", data,
                {"Content-Type": "application/octet-stream"})
        return digest

    layer = b"isign benchmark layer\n"
    layer_digest = "sha256:" + hashlib.sha256(layer).hexdigest()
    for i in range(1, n + 1):
        repo, tag = (f"{base}-{i}", "v1") if each else (base, f"v{i}")
        if each or i == 1:
            push_blob(repo, layer)
        config = json.dumps({"architecture": "amd64", "os": "linux",
                             "config": {"Labels": {"image": f"{repo} {i}"}},
                             "rootfs": {"type": "layers", "diff_ids": [layer_digest]}},
                            separators=(",", ":")).encode()
        config_digest = push_blob(repo, config)
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": config_digest, "size": len(config)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": layer_digest, "size": len(layer)}]},
            separators=(",", ":")).encode()
        request("PUT", f"/v2/{repo}/manifests/{tag}", manifest,
                {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
        print(f"{registry}/{repo}@sha256:{hashlib.sha256(manifest).hexdigest()}", flush=True)


if __name__ == "__main__":
    main()
