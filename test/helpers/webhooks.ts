import { expect } from 'vitest';
import type { SignedInUser } from './factories.ts';
import { BuyerLog, parseBody, type ReceivedWebhook } from './webhook-receiver.ts';

export interface BuyerLogEntry {
  cursor: string; entityType: string; entityId: string; paymentRunId: string;
  fromStatus?: string | null; toStatus: string; occurredAt: string; actor?: { id: string } | null;
}

/** The viewer's whole status-change log, every page. */
export async function readBuyerLog(user: SignedInUser): Promise<BuyerLogEntry[]> {
  const entries: BuyerLogEntry[] = [];
  let after: string | null = null;
  for (;;) {
    const { statusChanges }: { statusChanges: { pageInfo: { hasNextPage: boolean; endCursor?: string | null }; edges: { node: BuyerLogEntry }[] } } =
      await user.client.data(BuyerLog, { after });
    entries.push(...statusChanges.edges.map((e) => e.node));
    if (!statusChanges.pageInfo.hasNextPage) return entries;
    after = statusChanges.pageInfo.endCursor ?? null;
  }
}

/** Each request's body is exactly the log entry it names, with the API's ids. */
export function expectBodiesMatchLog(requests: readonly ReceivedWebhook[], log: readonly BuyerLogEntry[]) {
  expect(requests.map((r) => r.id)).toEqual(log.map((e) => e.cursor));
  requests.forEach((request, i) => {
    const entry = log[i]!;
    const body = parseBody(request);
    expect(body.type).toBe('status_changed');
    expect(Date.parse(body.timestamp)).toBe(Date.parse(entry.occurredAt));
    expect({ ...body.data, occurredAt: Date.parse(body.data.occurredAt) }).toEqual({
      cursor: entry.cursor,
      entityType: entry.entityType,
      entityId: entry.entityId,
      paymentRunId: entry.paymentRunId,
      fromStatus: entry.fromStatus ?? null,
      toStatus: entry.toStatus,
      occurredAt: Date.parse(entry.occurredAt),
      actorId: entry.actor?.id ?? null,
    });
  });
}
