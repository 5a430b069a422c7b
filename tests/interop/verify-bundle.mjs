#!/usr/bin/env node
// An independent verifier of key-based sigstore bundles (v0.3, no transparency log, no timestamps),
// built on sigstore-js (@sigstore/bundle to parse, @sigstore/verify to check the signature).
//
//   node verify-bundle.mjs --bundle FILE --key PUBKEY.pem (--digest sha256:<hex> | --artifact FILE)
//        [--predicate-type URI]
//
// DSSE bundles (what isign/cosign v3 attach to images) need --digest: after @sigstore/verify has
// checked the signature over the PAE, the statement's subject[0].digest.sha256 must be that hex
// (@sigstore/verify itself never looks inside the statement); with --predicate-type, the
// statement's predicateType must be it (signatures and attestations alike). messageSignature bundles (sign-blob)
// need --artifact: the signature is checked over the file's bytes, and the bundle's messageDigest
// must equal the file's hash (@sigstore/verify does not compare it without a tlog entry).
//
// The key is registered under the hint computed from it (base64 SHA-256 of its DER SPKI), so a
// bundle whose verificationMaterial.publicKey.hint is not that key's hint fails ("key not found").
//
// Limitation: @sigstore/verify 3.1.1 verifies a DSSE signature with crypto.verify(undefined, ...),
// i.e. OpenSSL's default digest, SHA-256, whatever the curve. DSSE bundles signed with P-384
// (SHA-384) or P-521 (SHA-512), as cosign v3 signs them, therefore fail here; use P-256 keys with
// this script for DSSE. messageSignature bundles use the bundle's hash algorithm and work for all.
//
// Exit 0 and "ok" on stdout when the bundle verifies; exit 1 and one line on stderr when it does
// not or cannot be read; exit 2 and one line on stderr for bad arguments.
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import sigstoreBundle from '@sigstore/bundle';
import sigstoreVerify from '@sigstore/verify';
import { reporter } from './cli.mjs';

const { bundleFromJSON } = sigstoreBundle;
const { Verifier, toSignedEntity, toTrustMaterial } = sigstoreVerify;

const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
// protobuf-specs HashAlgorithm numbers, as @sigstore/protobuf-specs decodes them.
const NODE_HASH = { 1: 'sha256', 2: 'sha384', 3: 'sha512' };

const { usage, fail } = reporter('verify-bundle');

function parse() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        bundle: { type: 'string' },
        key: { type: 'string' },
        digest: { type: 'string' },
        artifact: { type: 'string' },
        'predicate-type': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    usage(err.message);
  }
  if (!values.bundle || !values.key)
    usage('usage: verify-bundle.mjs --bundle FILE --key PUBKEY.pem (--digest sha256:<hex> | --artifact FILE)');
  if ((values.digest === undefined) === (values.artifact === undefined))
    usage('give exactly one of --digest sha256:<hex> and --artifact FILE');
  if (values['predicate-type'] !== undefined && values.digest === undefined)
    usage('--predicate-type needs --digest: it checks a DSSE statement');
  if (values.digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(values.digest))
    usage(`--digest must be sha256:<64 lowercase hex>, got '${values.digest}'`);
  return values;
}

function readOrFail(path, what) {
  try {
    return readFileSync(path);
  } catch (err) {
    fail(`reading ${what} '${path}': ${err.message}`);
  }
}

function main() {
  const args = parse();

  let json;
  try {
    json = JSON.parse(readOrFail(args.bundle, 'the bundle').toString('utf8'));
  } catch (err) {
    fail(`the bundle is not JSON: ${err.message}`);
  }
  let bundle;
  try {
    bundle = bundleFromJSON(json);
  } catch (err) {
    fail(`not a valid sigstore bundle: ${err.message}`);
  }

  let publicKey;
  try {
    publicKey = crypto.createPublicKey(readOrFail(args.key, 'the public key'));
  } catch (err) {
    fail(`not a PEM public key '${args.key}': ${err.message}`);
  }
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const hint = crypto.createHash('sha256').update(spki).digest('base64');
  const trustMaterial = toTrustMaterial(
    { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [] },
    { [hint]: { rawBytes: spki } },
  );
  const verifier = new Verifier(trustMaterial, {
    tlogThreshold: 0,
    ctlogThreshold: 0,
    timestampThreshold: 0,
  });

  const bundleHint = bundle.verificationMaterial.content.publicKey?.hint;
  if (bundleHint !== hint)
    fail(`the bundle's key hint '${bundleHint}' is not the hint of --key ('${hint}')`);

  const content = bundle.content;
  let artifact;
  if (content.$case === 'dsseEnvelope') {
    if (args.digest === undefined) fail('a DSSE bundle needs --digest sha256:<hex>, not --artifact');
  } else if (content.$case === 'messageSignature') {
    if (args.artifact === undefined) fail('a messageSignature bundle needs --artifact FILE');
    artifact = readOrFail(args.artifact, 'the artifact');
  } else {
    fail(`unsupported bundle content '${content.$case}'`);
  }

  try {
    verifier.verify(toSignedEntity(bundle, artifact));
  } catch (err) {
    fail(err.code ? `${err.code}: ${err.message}` : err.message);
  }

  if (content.$case === 'dsseEnvelope') {
    const envelope = content.dsseEnvelope;
    if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE)
      fail(`payloadType is '${envelope.payloadType}', not '${IN_TOTO_PAYLOAD_TYPE}'`);
    let statement;
    try {
      statement = JSON.parse(Buffer.from(envelope.payload).toString('utf8'));
    } catch (err) {
      fail(`the DSSE payload is not JSON: ${err.message}`);
    }
    const got = statement?.subject?.[0]?.digest?.sha256;
    const want = args.digest.slice('sha256:'.length);
    if (got !== want) fail(`the statement's subject[0].digest.sha256 is '${got}', expected '${want}'`);
    const type = args['predicate-type'];
    if (type !== undefined && statement.predicateType !== type)
      fail(`the statement's predicateType is '${statement.predicateType}', expected '${type}'`);
  } else {
    const { algorithm, digest } = content.messageSignature.messageDigest;
    const hash = NODE_HASH[algorithm];
    if (!hash) fail(`unsupported messageDigest algorithm ${algorithm}`);
    const actual = crypto.createHash(hash).update(artifact).digest();
    if (actual.length !== digest.length || !crypto.timingSafeEqual(actual, Buffer.from(digest)))
      fail(`messageDigest does not match the artifact's ${hash}`);
  }
  process.stdout.write('ok\n');
}

main();
