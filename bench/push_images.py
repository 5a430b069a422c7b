#!/usr/bin/env python3
"""Pushes N small distinct images to REGISTRY/REPO (tags v1..vN) over one keep-alive connection
and prints their manifest digests, one per line: one shared layer, one config per image. For the
benchmarks, where pushing thousands of images with curl would take longer than what is measured.
Usage: push_images.py REGISTRY REPO N"""
import hashlib
import http.client
import json
import sys


def main() -> None:
    registry, repo, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    conn = http.client.HTTPConnection(registry)

    def request(method, url, body=None, headers=None):
        conn.request(method, url, body=body, headers=headers or {})
        response = conn.getresponse()
        response.read()
        if response.status >= 300:
            sys.exit(f"{method} {url}: {response.status}")
        return response

    def push_blob(data: bytes) -> str:
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
    layer_digest = push_blob(layer)
    for i in range(1, n + 1):
        config = json.dumps({"architecture": "amd64", "os": "linux",
                             "config": {"Labels": {"image": f"{repo} {i}"}},
                             "rootfs": {"type": "layers", "diff_ids": [layer_digest]}},
                            separators=(",", ":")).encode()
        config_digest = push_blob(config)
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": config_digest, "size": len(config)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": layer_digest, "size": len(layer)}]},
            separators=(",", ":")).encode()
        request("PUT", f"/v2/{repo}/manifests/v{i}", manifest,
                {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
        print("sha256:" + hashlib.sha256(manifest).hexdigest(), flush=True)


if __name__ == "__main__":
    main()
