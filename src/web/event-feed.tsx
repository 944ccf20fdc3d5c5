import { useEffect, useState } from 'preact/hooks';
import { humanStatus } from './api.ts';
import type { Change, ConnectionState, LiveStream } from './live.ts';

const STATE_LABEL: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting — changes will catch up',
  closed: 'Disconnected',
};

export function ConnectionBadge({ live }: { live: LiveStream }) {
  const [state, setState] = useState(live.state);
  useEffect(() => {
    setState(live.state);
    return live.onState(setState);
  }, [live]);
  return <span class={`connection ${state}`} role="status" data-connection={state}>{STATE_LABEL[state]}</span>;
}

const ENTITY: Record<string, string> = {
  PAYMENT_RUN: 'Run', FUNDING_GROUP: 'Funding group', PAYABLE: 'Payable', BATCH: 'Batch', AUTHORISATION: 'Authorisation', PAYABLE_GROUP: 'Payable group',
};

/** The buyer's status changes as they happen, newest first. */
export function EventFeed({ live, onOpen }: { live: LiveStream; onOpen: (runId: string) => void }) {
  const [changes, setChanges] = useState<Change[]>(live.changes);
  useEffect(() => {
    setChanges(live.changes);
    return live.onChange(() => setChanges(live.changes));
  }, [live]);
  return (
    <aside class="feed" aria-labelledby="feed-title">
      <h2 id="feed-title">Live events</h2>
      <ol role="log" aria-live="polite" aria-relevant="additions">
        {[...changes].reverse().map((change) => (
          <li key={change.cursor} data-cursor={change.cursor} data-entity-id={change.entityId}>
            <time dateTime={change.occurredAt}>{new Date(change.occurredAt).toLocaleTimeString('en-GB')}</time>{' '}
            <a href={`#/runs/${encodeURIComponent(change.paymentRunId)}`} onClick={(e) => {
              e.preventDefault();
              onOpen(change.paymentRunId);
            }}>{ENTITY[change.entityType] ?? change.entityType}</a>{' '}
            {change.fromStatus ? `${humanStatus(change.fromStatus)} → ` : ''}<strong>{humanStatus(change.toStatus)}</strong>
          </li>
        ))}
      </ol>
    </aside>
  );
}
