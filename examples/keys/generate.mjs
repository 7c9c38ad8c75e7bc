// Regenerates the TEST-ONLY demo signing keys in this directory (run once; the keys are committed).
// Usage: node examples/keys/generate.mjs
// Keys are created with a fixed date (2020-01-01) so that any SOURCE_DATE_EPOCH after it can sign.
import * as openpgp from 'openpgp';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const date = new Date('2020-01-01T00:00:00Z');
const config = { v6Keys: false };
const specs = [
  { file: 'demo-ed25519', type: 'ecc', curve: 'ed25519Legacy', name: 'driftless demo key (Ed25519, TEST ONLY)' },
  { file: 'demo-rsa3072', type: 'rsa', rsaBits: 3072, name: 'driftless demo key (RSA-3072, TEST ONLY)' },
];
for (const s of specs) {
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: s.type, curve: s.curve, rsaBits: s.rsaBits, date, config, format: 'armored',
    userIDs: [{ name: s.name, email: 'demo-signing@driftless.invalid' }],
    subkeys: [],
  });
  writeFileSync(`${dir}/${s.file}.secret.asc`, privateKey);
  writeFileSync(`${dir}/${s.file}.public.asc`, publicKey);
  console.log(`wrote ${s.file}.{secret,public}.asc`);
}
