# Shell helpers shared by the demo and the benchmarks: a throwaway docker-registry on 127.0.0.1
# and pushing small generated images with curl (no Docker engine needed).
# Source this file; it defines functions and sets nothing else.

# Requests the helpers below send carry REGISTRY_USER:REGISTRY_PASSWORD when both are set.
curl_auth() {
  if [ -n "${REGISTRY_USER:-}" ] && [ -n "${REGISTRY_PASSWORD:-}" ]; then
    printf '%s\n' -u "$REGISTRY_USER:$REGISTRY_PASSWORD"
  fi
}

# start_registry DIR [HTPASSWD] -> sets REGISTRY (127.0.0.1:PORT) and REGISTRY_PID; log in
# DIR/registry.log. With HTPASSWD (a bcrypt htpasswd file) the registry asks for Basic auth. With
# REGISTRY_LOG_REQUESTS=1 it logs every request ("response completed" lines, method, URI and
# status) so a benchmark can count them.
start_registry() {
  local dir=$1 htpasswd=${2:-} port level=warn auth=""
  mkdir -p "$dir/storage"
  [ "${REGISTRY_LOG_REQUESTS:-0}" = 1 ] && level=info
  if [ -n "$htpasswd" ]; then
    auth="auth:
  htpasswd:
    realm: isign-bench
    path: $htpasswd"
  fi
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
  done
  cat >"$dir/registry.yml" <<YML
version: 0.1
log:
  level: $level
  accesslog:
    disabled: true
$auth
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YML
  /usr/bin/docker-registry serve "$dir/registry.yml" >"$dir/registry.log" 2>&1 &
  REGISTRY_PID=$!
  REGISTRY=127.0.0.1:$port
  for _ in $(seq 1 100); do
    # 200, or 401 when it asks for credentials: either way it is up.
    case $(curl -sS -o /dev/null -w '%{http_code}' "http://$REGISTRY/v2/" 2>/dev/null) in
    200 | 401) return 0 ;;
    esac
    sleep 0.1
  done
  echo "registry did not start; its log:" >&2
  cat "$dir/registry.log" >&2
  return 1
}

stop_registry() {
  if [ -n "${REGISTRY_PID:-}" ]; then
    kill "$REGISTRY_PID" 2>/dev/null || true
    wait "$REGISTRY_PID" 2>/dev/null || true
  fi
  REGISTRY_PID=""
}

# push_blob REPO FILE -> prints the blob's digest
push_blob() {
  local repo=$1 file=$2 digest location
  digest="sha256:$(sha256sum "$file" | cut -d' ' -f1)"
  local auth
  mapfile -t auth < <(curl_auth)
  if ! curl -fs "${auth[@]}" -o /dev/null -I "http://$REGISTRY/v2/$repo/blobs/$digest"; then
    location=$(curl -fsS "${auth[@]}" -X POST -D - -o /dev/null "http://$REGISTRY/v2/$repo/blobs/uploads/" |
      tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
    case "$location" in http*) ;; *) location="http://$REGISTRY$location" ;; esac
    case "$location" in *\?*) location="$location&digest=$digest" ;; *) location="$location?digest=$digest" ;; esac
    curl -fsS "${auth[@]}" -X PUT -H "Content-Type: application/octet-stream" --data-binary "@$file" \
      -o /dev/null "$location"
  fi
  echo "$digest"
}

# push_image REPO TAG TEXT [LAYER_FILE] -> prints the manifest digest of a one-layer OCI image
# whose layer is a gzip'd tar holding TEXT (or LAYER_FILE as the layer blob).
push_image() {
  local repo=$1 tag=$2 text=$3 layer_file=${4:-} tmp layer_digest layer_size config_digest \
    config_size diff_id manifest
  tmp=$(mktemp -d)
  if [ -z "$layer_file" ]; then
    mkdir "$tmp/root" && printf '%s\n' "$text" >"$tmp/root/hello.txt"
    tar -C "$tmp/root" --mtime=@0 --owner=0 --group=0 -cf "$tmp/layer.tar" hello.txt
    gzip -n -c "$tmp/layer.tar" >"$tmp/layer.tar.gz"
    diff_id="sha256:$(sha256sum "$tmp/layer.tar" | cut -d' ' -f1)"
    layer_file="$tmp/layer.tar.gz"
  else
    diff_id="sha256:$(sha256sum "$layer_file" | cut -d' ' -f1)"
  fi
  layer_digest=$(push_blob "$repo" "$layer_file")
  layer_size=$(stat -c %s "$layer_file")
  printf '{"architecture":"amd64","os":"linux","config":{"Labels":{"demo":"%s"}},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
    "$text" "$diff_id" >"$tmp/config.json"
  config_digest=$(push_blob "$repo" "$tmp/config.json")
  config_size=$(stat -c %s "$tmp/config.json")
  manifest=$(printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}]}' \
    "$config_digest" "$config_size" "$layer_digest" "$layer_size")
  local auth
  mapfile -t auth < <(curl_auth)
  curl -fsS "${auth[@]}" -X PUT -H "Content-Type: application/vnd.oci.image.manifest.v1+json" \
    --data-binary "$manifest" -o /dev/null "http://$REGISTRY/v2/$repo/manifests/$tag"
  rm -rf "$tmp"
  printf 'sha256:%s\n' "$(printf '%s' "$manifest" | sha256sum | cut -d' ' -f1)"
}
