import { useState } from 'preact/hooks';
import { ApiError, request } from './api.ts';
import { graphql } from './generated/index.ts';
import type { RunDetailQuery } from './generated/graphql.ts';
import type { RunDetail } from './run-page.tsx';

const Confirm = graphql(`mutation ConfirmRun($id: ID!) { confirmPaymentRun(id: $id) { id status } }`);
const Verify = graphql(`mutation VerifyRun($id: ID!, $code: String!) { verifyPaymentRunChallenge(id: $id, code: $code) { id status } }`);
const Restart = graphql(`mutation RestartRun($id: ID!) { restartPaymentRun(id: $id) { id status } }`);
const Cancel = graphql(`mutation CancelRun($id: ID!) { cancelPaymentRun(id: $id) { id status } }`);
const Fund = graphql(`mutation FundRun($id: ID!, $accounts: [ID!]!) { fundPaymentRun(id: $id, linkedAccountIds: $accounts) { id } }`);
const Authorise = graphql(`mutation AuthoriseBatch($batchId: ID!) { authoriseBatch(batchId: $batchId) { id status } }`);

/**
 * The buttons a viewer gets are exactly PaymentRun.viewerActions: the gateway decides from the
 * domain's rules, the page only lays them out. A refusal that slipped through (another user acted
 * first) is shown as the gateway's message.
 */
export function RunActions({ run, accounts, onDone }: { run: RunDetail; accounts: RunDetailQuery['linkedAccounts']; onDone: () => void }) {
  const can = new Set(run.viewerActions);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [confirmingCancel, setConfirmingCancel] = useState(false);
  const usable = accounts.filter((a) => a.status === 'LINKED' && a.currency === run.currency);

  async function act(work: () => Promise<unknown>) {
    setBusy(true);
    setMessage(null);
    try {
      await work();
      onDone();
    } catch (e) {
      const attempts = e instanceof ApiError ? e.extensions.attemptsRemaining : undefined;
      setMessage(`${(e as Error).message}${attempts != null ? ` (${attempts} attempts left)` : ''}`);
      onDone();
    } finally {
      setBusy(false);
    }
  }

  const openBatches = run.fundingGroups.flatMap((g) => g.batches).filter((b) => b.status === 'OPEN');
  if (can.size === 0 && !message) return null;

  return (
    <section class="actions" aria-label="Actions">
      {can.has('CONFIRM') && <button type="button" disabled={busy} onClick={() => act(() => request(Confirm, { id: run.id }))}>Confirm run</button>}
      {can.has('RESTART') && <button type="button" disabled={busy} onClick={() => act(() => request(Restart, { id: run.id }))}>Send a new code</button>}
      {can.has('VERIFY_CHALLENGE') && (
        <form class="inline" onSubmit={(e) => {
          e.preventDefault();
          const code = String(new FormData(e.currentTarget as HTMLFormElement).get('code'));
          void act(() => request(Verify, { id: run.id, code }));
        }}>
          <label>One-time code
            <input name="code" inputMode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxLength={6} required />
          </label>
          <button type="submit" disabled={busy}>Approve</button>
          {run.challenge && <small>{run.challenge.attemptsRemaining} attempts left</small>}
        </form>
      )}
      {can.has('FUND') && (
        usable.length === 0 ? <p>Link a {run.currency} bank account to fund this run.</p> : (
          <form class="inline" onSubmit={(e) => {
            e.preventDefault();
            const chosen = new FormData(e.currentTarget as HTMLFormElement).getAll('account').map(String);
            void act(() => request(Fund, { id: run.id, accounts: chosen }));
          }}>
            <fieldset>
              <legend>Fund from</legend>
              {usable.map((a, i) => (
                <label><input type="checkbox" name="account" value={a.id} defaultChecked={i === 0} />
                  {a.friendlyName ?? a.institution.displayName}</label>
              ))}
            </fieldset>
            <button type="submit" disabled={busy}>Fund</button>
          </form>
        )
      )}
      {can.has('AUTHORISE_BATCHES') && (
        <button type="button" disabled={busy} onClick={() => act(async () => {
          for (const batch of openBatches) await request(Authorise, { batchId: batch.id });
        })}>Authorise all batches ({openBatches.length})</button>
      )}
      {can.has('CANCEL') && (confirmingCancel ? (
        <span role="group" aria-label="Cancel this run?">
          <button type="button" class="danger" disabled={busy} onClick={() => act(() => request(Cancel, { id: run.id })).then(() => setConfirmingCancel(false))}>Yes, cancel the run</button>
          <button type="button" onClick={() => setConfirmingCancel(false)}>Keep it</button>
        </span>
      ) : <button type="button" class="danger" onClick={() => setConfirmingCancel(true)}>Cancel run…</button>)}
      {message && <p role="alert" class="error">{message}</p>}
    </section>
  );
}
