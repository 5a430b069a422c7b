#!/usr/bin/env node
// An independent check of a bare DSSE envelope, as a cosign `.att` layer holds one, with
// node:crypto alone (no sigstore code): the pre-authentication encoding written out here, the
// ECDSA signature checked with the key's curve hash (P-256 SHA-256, P-384 SHA-384, P-521 SHA-512,
// as cosign signs), DER, base64.
//
//   node verify-dsse.mjs --envelope FILE --key PUBKEY.pem --digest sha256:<hex>
//        [--predicate-type URI]
//
// Besides the signature: exactly one signature (sigstore-go refuses others), payloadType
// application/vnd.in-toto+json, the payload an in-toto statement (v0.1 or v1) one of whose
// subjects has digest.sha256 equal to --digest's hex, and predicateType equal to --predicate-type
// when given. Any member order and an extra "keyid" are accepted (cosign v2's shape).
//
// Exit 0 and "ok" on stdout when it verifies; exit 1 and one line on stderr when it does not or
// cannot be read; exit 2 and one line on stderr for bad arguments.
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { reporter } from './cli.mjs';

const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const STATEMENT_TYPES = ['https://in-toto.io/Statement/v0.1', 'https://in-toto.io/Statement/v1'];
const CURVE_HASH = { 'prime256v1': 'sha256', 'secp384r1': 'sha384', 'secp521r1': 'sha512' };

const { usage, fail } = reporter('verify-dsse');

function parse() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        envelope: { type: 'string' },
        key: { type: 'string' },
        digest: { type: 'string' },
        'predicate-type': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    usage(err.message);
  }
  if (!values.envelope || !values.key || !values.digest)
    usage('usage: verify-dsse.mjs --envelope FILE --key PUBKEY.pem --digest sha256:<hex> [--predicate-type URI]');
  if (!/^sha256:[0-9a-f]{64}$/.test(values.digest))
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

// DSSE v1 pre-authentication encoding: lengths are byte counts in decimal.
function pae(type, payload) {
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${payload.length} `),
    payload,
  ]);
}

// Strict base64 (standard alphabet, padded): Buffer.from would skip junk silently.
function base64(text, what) {
  if (typeof text !== 'string' || !/^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text))
    fail(`${what} is not base64`);
  return Buffer.from(text, 'base64');
}

function main() {
  const args = parse();
  let envelope;
  try {
    envelope = JSON.parse(readOrFail(args.envelope, 'the envelope').toString('utf8'));
  } catch (err) {
    fail(`the envelope is not JSON: ${err.message}`);
  }
  let key;
  try {
    key = crypto.createPublicKey(readOrFail(args.key, 'the public key'));
  } catch (err) {
    fail(`not a PEM public key '${args.key}': ${err.message}`);
  }
  if (key.asymmetricKeyType !== 'ec') fail(`the key is ${key.asymmetricKeyType}, not EC`);
  const hash = CURVE_HASH[key.asymmetricKeyDetails.namedCurve];
  if (!hash) fail(`unsupported curve '${key.asymmetricKeyDetails.namedCurve}'`);

  if (envelope?.payloadType !== IN_TOTO_PAYLOAD_TYPE)
    fail(`payloadType is '${envelope?.payloadType}', not '${IN_TOTO_PAYLOAD_TYPE}'`);
  if (!Array.isArray(envelope.signatures) || envelope.signatures.length !== 1)
    fail(`the envelope has ${envelope.signatures?.length ?? 'no'} signatures, not exactly one`);
  const payload = base64(envelope.payload, 'payload');
  const signature = base64(envelope.signatures[0].sig, 'signatures[0].sig');
  const ok = crypto.verify(hash, pae(envelope.payloadType, payload), { key, dsaEncoding: 'der' },
    signature);
  if (!ok) fail('the signature does not verify over the PAE with --key');

  let statement;
  try {
    statement = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    fail(`the payload is not JSON: ${err.message}`);
  }
  if (!STATEMENT_TYPES.includes(statement?._type))
    fail(`_type is '${statement?._type}', not an in-toto statement`);
  const hex = args.digest.slice('sha256:'.length);
  if (!Array.isArray(statement.subject) || !statement.subject.some((s) => s?.digest?.sha256 === hex))
    fail(`no subject of the statement has digest.sha256 '${hex}'`);
  const want = args['predicate-type'];
  if (want !== undefined && statement.predicateType !== want)
    fail(`predicateType is '${statement.predicateType}', not '${want}'`);
  process.stdout.write('ok\n');
}

main();
