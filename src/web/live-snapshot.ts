import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.ts';
import { throttle, type Change, type LiveStream } from './live.ts';

/**
 * A view's snapshot kept current by the live stream. Every change sets a status in place. Some
 * changes also ask for a re-read (new entities, counts, the actions now offered) — throttled, one
 * query. A re-read answers with the database as it was when the query ran, which may be older than
 * changes that arrived meanwhile: so the changes received while a read is under way are applied
 * again, in order, on top of its answer. Statuses are last-write-wins, so replaying a change the
 * answer already held is harmless, and the view never steps back.
 */
export function useLiveSnapshot<S>(options: {
  live: LiveStream;
  read: () => Promise<S>;
  apply: (state: S, change: Change) => S;
  rereadOn: (change: Change) => boolean;
  deps: readonly unknown[];
  throttleMs?: number;
}): { state: S | null; error: ApiError | Error | null; reload: () => void } {
  const { live, read, apply, rereadOn, deps, throttleMs = 800 } = options;
  const [state, setState] = useState<S | null>(null);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const sinceRead = useRef<Change[] | null>(null);
  const generation = useRef(0);
  const applyRef = useRef(apply);
  applyRef.current = apply;

  const reload = useCallback(() => {
    const mine = ++generation.current;
    sinceRead.current = [];
    read().then(
      (snapshot) => {
        if (mine !== generation.current) return;
        const missed = sinceRead.current ?? [];
        sinceRead.current = null;
        setState(missed.reduce((s, change) => applyRef.current(s, change), snapshot));
        setError(null);
      },
      (e: unknown) => {
        if (mine !== generation.current) return;
        sinceRead.current = null;
        setError(e instanceof Error ? e : new Error(String(e)));
      },
    );
  }, deps);

  useEffect(() => reload(), [reload]);

  useEffect(() => {
    const reread = throttle(() => reload(), throttleMs);
    const off = live.onChange((change) => {
      sinceRead.current?.push(change);
      setState((current) => current && applyRef.current(current, change));
      if (rereadOn(change)) reread();
    });
    return () => {
      off();
      reread.cancel();
    };
  }, [live, reload]);

  return { state, error, reload };
}
