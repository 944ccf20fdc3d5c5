import { humanStatus } from './api.ts';

/** How payables' statuses are grouped on a progress bar, in the order a run moves through them. */
const BANDS = [
  { name: 'done', label: 'completed', statuses: ['COMPLETED'] },
  { name: 'failed', label: 'failed or returned', statuses: ['FAILED', 'RETURNED'] },
  { name: 'moving', label: 'executing', statuses: ['EXECUTING', 'AWAITING_FUNDS'] },
  { name: 'cancelled', label: 'cancelled', statuses: ['CANCELLED', 'SCA_FAILED'] },
  { name: 'waiting', label: 'waiting', statuses: ['QUEUED', 'PENDING_CONFIRMATION', 'PENDING_CHALLENGE', 'PENDING_FUNDING'] },
] as const;

export interface StatusCount {
  status: string;
  count: number;
}

export function ProgressBar({ counts }: { counts: readonly StatusCount[] }) {
  const total = counts.reduce((n, c) => n + c.count, 0);
  const bands = BANDS.map((band) => ({
    ...band,
    count: counts.filter((c) => (band.statuses as readonly string[]).includes(c.status)).reduce((n, c) => n + c.count, 0),
  }));
  const done = bands[0]!.count;
  const summary = bands.filter((b) => b.count > 0).map((b) => `${b.count} ${b.label}`).join(', ') || 'no payables';
  return (
    <div class="progress" role="progressbar" aria-valuemin={0} aria-valuemax={total} aria-valuenow={done} aria-label="Payables completed"
      aria-valuetext={summary} title={counts.map((c) => `${humanStatus(c.status)}: ${c.count}`).join('\n')}>
      {bands.map((band) => band.count > 0 && <span class={`band ${band.name}`} style={{ flexGrow: band.count }} />)}
    </div>
  );
}
