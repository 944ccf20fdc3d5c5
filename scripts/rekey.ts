/**
 * `npm run rekey`: re-seals stored secrets under the current encryption keys after a rotation
 * (docs/sca.md, docs/webhooks.md "Rotating the key"). The command itself is src/ops/rekey-main.ts,
 * so that the production image runs the same code as `node dist/ops/rekey-main.js`.
 */
import '../src/ops/rekey-main.ts';
