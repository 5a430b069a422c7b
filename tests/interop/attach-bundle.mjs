#!/usr/bin/env node
// An independent writer of cosign v3 image signatures: an in-toto v1 statement for the image
// digest (predicateType https://sigstore.dev/cosign/sign/v1), signed as a DSSE envelope with
// node:crypto, wrapped in a key-based sigstore bundle v0.3 and attached to the image as an OCI
// referrer by @sigstore/oci (which also writes the referrers tag index sha256-<hex> when the
// registry has no referrers API, as Debian's docker-registry 2.8 has none).
//
//   node attach-bundle.mjs --registry http://127.0.0.1:PORT --repo NAME --digest sha256:<hex>
//        --media-type <subject manifest media type> --size N --key PRIVKEY.pem [--annotation k=v]...
//        [--predicate-type URI --predicate FILE [--subject-name NAME]]
//
// With --predicate-type, an attestation as cosign attest makes it instead: an in-toto v0.1
// statement of the JSON in --predicate (its subject named --subject-name when given, as cosign
// names the repository), built into a bundle by @sigstore/bundle (toDSSEBundle, bundleToJSON:
// sigstore-js's own serialisation, with keyid and empty timestamp data, unlike cosign's) and
// annotated with that predicateType. --annotation is then refused (cosign attest signs none into
// a v0.1 subject here).
//
// --key is an unencrypted PEM private key (PKCS#8 or SEC1): EC P-256, P-384 or P-521, signing the
// PAE with the curve's hash as cosign v3 does (SHA-256, SHA-384, SHA-512), DER signature.
// --annotation k=v goes into the statement's subject annotations, as cosign's sign -a does.
// --media-type and --size describe the image manifest; @sigstore/oci takes the subject descriptor
// from its own HEAD of the image, and this script fails if that disagrees with them.
//
// @sigstore/oci speaks plain HTTP only to the hosts localhost and 127.0.0.1 (HTTPS otherwise) and
// sends no credentials here: use an open registry on 127.0.0.1.
//
// Prints the referrer manifest's digest (sha256:<hex>) on stdout and exits 0; on failure exits 1
// with one line on stderr (2 for bad arguments).
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import sigstoreBundle from '@sigstore/bundle';
import sigstoreOci from '@sigstore/oci';
import { reporter } from './cli.mjs';

const { attachArtifactToImage } = sigstoreOci;
const { toDSSEBundle, bundleToJSON, bundleFromJSON } = sigstoreBundle;

const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';
const STATEMENT_V01 = 'https://in-toto.io/Statement/v0.1';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
// sigstore/sigstore GetDefaultPublicKeyDetails: the hash cosign v3 signs a DSSE PAE with.
const CURVE_HASH = { 'prime256v1': 'sha256', 'secp384r1': 'sha384', 'secp521r1': 'sha512' };

const { usage, fail } = reporter('attach-bundle');

function parse() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        registry: { type: 'string' },
        repo: { type: 'string' },
        digest: { type: 'string' },
        'media-type': { type: 'string' },
        size: { type: 'string' },
        key: { type: 'string' },
        annotation: { type: 'string', multiple: true, default: [] },
        'predicate-type': { type: 'string' },
        predicate: { type: 'string' },
        'subject-name': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    usage(err.message);
  }
  for (const name of ['registry', 'repo', 'digest', 'media-type', 'size', 'key'])
    if (values[name] === undefined) usage(`--${name} is required`);
  if (!/^sha256:[0-9a-f]{64}$/.test(values.digest))
    usage(`--digest must be sha256:<64 lowercase hex>, got '${values.digest}'`);
  if ((values['predicate-type'] === undefined) !== (values.predicate === undefined))
    usage('--predicate-type and --predicate go together');
  if (values['subject-name'] !== undefined && values.predicate === undefined)
    usage('--subject-name needs --predicate-type and --predicate');
  if (values.predicate !== undefined && values.annotation.length > 0)
    usage('--annotation cannot be combined with --predicate');
  if (!/^[0-9]+$/.test(values.size)) usage(`--size must be a byte count, got '${values.size}'`);
  let url;
  try {
    url = new URL(values.registry);
  } catch {
    usage(`--registry must be a URL such as http://127.0.0.1:5000, got '${values.registry}'`);
  }
  // @sigstore/oci picks the scheme itself: http for localhost and 127.0.0.1, https otherwise.
  const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1';
  if (url.protocol !== (local ? 'http:' : 'https:') || url.pathname !== '/')
    usage(`@sigstore/oci would not talk to '${values.registry}' as given (plain HTTP only to localhost or 127.0.0.1, no path)`);
  const annotations = {};
  for (const a of values.annotation) {
    const eq = a.indexOf('=');
    if (eq <= 0) usage(`--annotation must be k=v, got '${a}'`);
    annotations[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return { ...values, host: url.host, annotations };
}

function sortedObject(map) {
  return Object.fromEntries(Object.keys(map).sort().map((k) => [k, map[k]]));
}

// docs/formats.md section 9, one line, keys in cosign's (protojson) order.
function statement(hex, annotations) {
  return JSON.stringify({
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ digest: { sha256: hex }, annotations: sortedObject(annotations) }],
    predicateType: PREDICATE_TYPE,
    predicate: {},
  });
}

// DSSE pre-authentication encoding (docs/formats.md section 8): lengths are byte counts.
function pae(type, payload) {
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${payload.length} `),
    payload,
  ]);
}

function makeBundle(privateKey, hex, annotations) {
  if (privateKey.asymmetricKeyType !== 'ec')
    fail(`the key is ${privateKey.asymmetricKeyType}, not EC`);
  const curve = privateKey.asymmetricKeyDetails.namedCurve;
  const hash = CURVE_HASH[curve];
  if (!hash) fail(`unsupported curve '${curve}' (P-256, P-384, P-521)`);
  const payload = Buffer.from(statement(hex, annotations));
  const signature = crypto.sign(hash, pae(IN_TOTO_PAYLOAD_TYPE, payload), {
    key: privateKey,
    dsaEncoding: 'der',
  });
  const spki = crypto.createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  // docs/formats.md section 10, one line, members in protojson order.
  return JSON.stringify({
    mediaType: BUNDLE_MEDIA_TYPE,
    verificationMaterial: {
      publicKey: { hint: crypto.createHash('sha256').update(spki).digest('base64') },
    },
    dsseEnvelope: {
      payload: payload.toString('base64'),
      payloadType: IN_TOTO_PAYLOAD_TYPE,
      signatures: [{ sig: signature.toString('base64') }],
    },
  });
}

// cosign attest's statement (docs/formats.md section 9, v0.1), signed like makeBundle's but put
// into a bundle by @sigstore/bundle; round-tripped through bundleFromJSON, which validates it.
function makeAttestationBundle(privateKey, hex, predicateType, predicate, name) {
  const curve = privateKey.asymmetricKeyDetails?.namedCurve;
  const hash = CURVE_HASH[curve];
  if (privateKey.asymmetricKeyType !== 'ec' || !hash) fail('the key is not EC P-256, P-384 or P-521');
  const subject = name === undefined ? { digest: { sha256: hex } } : { name, digest: { sha256: hex } };
  const payload = Buffer.from(JSON.stringify({ _type: STATEMENT_V01, subject: [subject], predicateType, predicate }));
  const signature = crypto.sign(hash, pae(IN_TOTO_PAYLOAD_TYPE, payload), { key: privateKey, dsaEncoding: 'der' });
  const spki = crypto.createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const bundle = toDSSEBundle({
    artifact: payload,
    artifactType: IN_TOTO_PAYLOAD_TYPE,
    signature,
    keyHint: crypto.createHash('sha256').update(spki).digest('base64'),
  });
  const json = bundleToJSON(bundle);
  bundleFromJSON(json);
  return JSON.stringify(json);
}

async function getJson(url, accept) {
  const response = await fetch(url, { headers: { Accept: accept } });
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status}`);
  return response.json();
}

async function main() {
  const args = parse();
  let privateKey;
  try {
    privateKey = crypto.createPrivateKey(readFileSync(args.key));
  } catch (err) {
    fail(`reading the private key '${args.key}': ${err.message}`);
  }
  const hex = args.digest.slice('sha256:'.length);
  let predicateType = PREDICATE_TYPE;
  let bundle;
  if (args.predicate !== undefined) {
    predicateType = args['predicate-type'];
    let predicate;
    try {
      predicate = JSON.parse(readFileSync(args.predicate, 'utf8'));
    } catch (err) {
      fail(`reading the predicate '${args.predicate}': ${err.message}`);
    }
    bundle = makeAttestationBundle(privateKey, hex, predicateType, predicate, args['subject-name']);
  } else {
    bundle = makeBundle(privateKey, hex, args.annotations);
  }

  let descriptor;
  try {
    descriptor = await attachArtifactToImage({
      imageName: `${args.host}/${args.repo}`,
      imageDigest: args.digest,
      artifact: Buffer.from(bundle),
      mediaType: BUNDLE_MEDIA_TYPE,
      // As cosign v3 annotates its referrer (docs/formats.md section 11); created to the second, as
      // cosign writes it, instead of @sigstore/oci's milliseconds.
      annotations: {
        'dev.sigstore.bundle.content': 'dsse-envelope',
        'dev.sigstore.bundle.predicateType': predicateType,
        'org.opencontainers.image.created': new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      },
      credentials: undefined, // an open registry: @sigstore/oci signs in only with credentials
      fetchOpts: { retry: false },
    });
  } catch (err) {
    const cause = err.cause ? `: ${err.cause.message}` : '';
    fail(`${err.message}${cause}`);
  }

  // Read back what was written: the subject @sigstore/oci took from its HEAD must be the image
  // described by the arguments, and the referrer must be discoverable (API or tag).
  const base = `${args.registry.replace(/\/$/, '')}/v2/${args.repo}`;
  try {
    const manifest = await getJson(`${base}/manifests/${descriptor.digest}`, OCI_MANIFEST);
    const subject = manifest.subject ?? {};
    if (subject.digest !== args.digest || subject.mediaType !== args['media-type'] ||
        subject.size !== Number(args.size))
      fail(`the referrer's subject is ${JSON.stringify(subject)}, not the image given`);
    const referrers = await fetch(`${base}/referrers/${args.digest}`, { headers: { Accept: OCI_INDEX } });
    const index = referrers.status === 200
      ? await referrers.json()
      : await getJson(`${base}/manifests/sha256-${hex}`, OCI_INDEX);
    if (!index.manifests?.some((m) => m.digest === descriptor.digest))
      fail(`the referrer ${descriptor.digest} is not listed (referrers API ${referrers.status}, tag sha256-${hex})`);
  } catch (err) {
    fail(`reading back: ${err.message}`);
  }
  process.stdout.write(`${descriptor.digest}\n`);
}

main().catch((err) => fail(err?.message ?? err));
