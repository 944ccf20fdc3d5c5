import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { keyId } from './crypto/key-ring.ts';

/**
 * The one-liners docs/sca.md and docs/webhooks.md give operators ("Rotating the key") print what the
 * gateway computes: a key's id for every accepted format, and the key derived from JWT_SECRET (so it
 * can be named as a previous key when moving to an explicit one).
 */
const KEY_ID = `node -e 'const k = process.argv[1]; console.log(require("node:crypto").createHash("sha256").update(Buffer.from(k, /^[0-9a-f]{64}$/i.test(k) ? "hex" : "base64")).digest("hex").slice(0, 8))' -- "$KEY"`;
const DERIVED_WEBHOOK_KEY = `node -e 'console.log(Buffer.from(require("node:crypto").hkdfSync("sha256", process.argv[1], "webhook-secrets", "aes-256-gcm v1", 32)).toString("hex"))' -- "$JWT_SECRET"`;
const DERIVED_SCA_KEY = `node -e 'console.log(Buffer.from(require("node:crypto").hkdfSync("sha256", process.argv[1], "sca-totp-secrets", "aes-256-gcm v1", 32)).toString("base64"))' -- "$JWT_SECRET"`;

const docs = (name: string) => readFileSync(new URL(`../docs/${name}`, import.meta.url), 'utf8');
/** Runs a documented `node -e '…' -- "$VAR"` line (`--`: a base64url key may begin with -) with the variable's value as its argument. */
const run = (line: string, value: string) => execFileSync(process.execPath, ['-e', /^node -e '(.*)' -- "\$\w+"$/.exec(line)![1]!, '--', value], { encoding: 'utf8' }).trim();

const JWT_SECRET = 'a-production-secret-of-at-least-32-characters';
/** A key whose base64url differs from its base64 (it has bytes that encode as + and /). */
const key = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 67 + 251) % 256));

describe('the key one-liners in the docs', () => {
  it('are the ones the docs print', () => {
    expect(docs('sca.md')).toContain(KEY_ID);
    expect(docs('sca.md')).toContain(DERIVED_SCA_KEY);
    expect(docs('webhooks.md')).toContain(KEY_ID);
    expect(docs('webhooks.md')).toContain(DERIVED_WEBHOOK_KEY);
  });

  it('print the key id of a key in every format config accepts', () => {
    expect(key.toString('base64url')).not.toBe(key.toString('base64').replace(/=+$/, ''));
    for (const written of [key.toString('hex'), key.toString('hex').toUpperCase(), key.toString('base64'), key.toString('base64url')]) {
      expect(run(KEY_ID, written), written).toBe(keyId(key));
    }
  });

  it('print the keys derived from JWT_SECRET, in a format the settings accept', () => {
    const derived = loadConfig({ JWT_SECRET, SANDBOX: 'true' });
    const webhookKey = run(DERIVED_WEBHOOK_KEY, JWT_SECRET);
    const scaKey = run(DERIVED_SCA_KEY, JWT_SECRET);
    expect(Buffer.from(webhookKey, 'hex')).toEqual(derived.webhooks.encryptionKeys.current);
    expect(Buffer.from(scaKey, 'base64')).toEqual(derived.sca.encryptionKeys.current);
    // Named as previous keys beside explicit new ones, they still open what the derived keys sealed.
    const explicit = loadConfig({
      JWT_SECRET, SANDBOX: 'true',
      WEBHOOK_ENCRYPTION_KEY: key.toString('hex'), WEBHOOK_ENCRYPTION_KEY_PREVIOUS: webhookKey,
      SCA_ENCRYPTION_KEY: key.toString('base64'), SCA_ENCRYPTION_KEY_PREVIOUS: scaKey,
    });
    expect(explicit.webhooks.encryptionKeys.previous).toEqual([derived.webhooks.encryptionKeys.current]);
    expect(explicit.sca.encryptionKeys.previous).toEqual([derived.sca.encryptionKeys.current]);
  });

  it('WEBHOOK_ENCRYPTION_KEY is trimmed like the other keys', () => {
    expect(loadConfig({ JWT_SECRET, SANDBOX: 'true', WEBHOOK_ENCRYPTION_KEY: ` ${key.toString('hex')}\n` }).webhooks.encryptionKeys.current).toEqual(key);
  });
});
