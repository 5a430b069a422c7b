#!/usr/bin/env python3
"""Prints a curl config (curl --config FILE) making the requests `isign verify` makes for each
image of a list signed with a .sig: GET the sha256-<hex>.sig manifest and GET its payload blob.
The .sig manifests are read once here to learn each payload's digest. For bench/batch.sh's floor.
Usage: floor_config.py REGISTRY REFS_FILE (lines REGISTRY/REPO@sha256:<hex>)"""
import http.client
import json
import sys

ACCEPT = ("application/vnd.oci.image.manifest.v1+json, "
          "application/vnd.docker.distribution.manifest.v2+json")


def main() -> None:
    registry, refs_file = sys.argv[1], sys.argv[2]
    conn = http.client.HTTPConnection(registry)
    with open(refs_file, encoding="utf-8") as f:
        refs = [line.strip() for line in f if line.strip()]
    print(f'header = "Accept: {ACCEPT}"')
    for ref in refs:
        name, digest = ref[len(registry) + 1:].split("@")
        sig = f"/v2/{name}/manifests/sha256-{digest.split(':')[1]}.sig"
        conn.request("GET", sig, headers={"Accept": ACCEPT})
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            sys.exit(f"GET {sig}: {response.status}")
        payload = json.loads(body)["layers"][0]["digest"]
        for url in (sig, f"/v2/{name}/blobs/{payload}"):
            print(f'url = "http://{registry}{url}"')
            print('output = "/dev/null"')


if __name__ == "__main__":
    main()
