import { invalidState } from './errors.ts';

/**
 * A stored state machine is data: for each state, the states it may move to. Commands consult the
 * table through `assertTransition`; tests check that every state is reachable and terminal states
 * have no exits.
 */
export type TransitionTable<S extends string> = { readonly [K in S]: readonly S[] };

export interface StateMachine<S extends string> {
  readonly name: string;
  readonly initial: S;
  readonly transitions: TransitionTable<S>;
  canTransition(from: S, to: S): boolean;
  /** Throws INVALID_STATE (with currentStatus) when `from → to` is not in the table. */
  assertTransition(from: S, to: S, action: string): void;
  isTerminal(state: S): boolean;
}

export function defineStateMachine<S extends string>(
  name: string,
  initial: S,
  transitions: TransitionTable<S>,
): StateMachine<S> {
  return Object.freeze({
    name,
    initial,
    transitions,
    canTransition: (from: S, to: S) => transitions[from].includes(to),
    assertTransition(from: S, to: S, action: string) {
      if (!transitions[from].includes(to)) throw invalidState(from, action);
    },
    isTerminal: (state: S) => transitions[state].length === 0,
  });
}

/** States reachable from the initial one (for the reachability test every machine has). */
export function reachableStates<S extends string>(machine: StateMachine<S>): Set<S> {
  const seen = new Set<S>([machine.initial]);
  const queue: S[] = [machine.initial];
  for (let state = queue.shift(); state !== undefined; state = queue.shift()) {
    for (const next of machine.transitions[state]) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}
