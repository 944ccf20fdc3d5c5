import { invalidState, type DomainError } from './errors.ts';
import type { Role } from './statuses.ts';

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

/**
 * Who performs an action: users holding any of the listed roles, the bank (the `simulate*`
 * mutations and the autopilot stand in for it: any signed-in user, in the sandbox only), or the
 * gateway itself (background jobs, derivation).
 */
export type Performer = readonly Role[] | 'BANK' | 'SYSTEM';

/**
 * One row of the contract's "who may do what, and when" table (CONTRACT.md §4): the roles, the
 * states the action may start from and the state it leads to (null: the status stays, as for edits,
 * or is derived afterwards). `sca`: the actor needs an enrolled SCA device. `mutation`: the GraphQL
 * mutation that performs it (its auth scopes and the role × action matrix test read this row).
 */
export interface ActionRule<S extends string> {
  readonly roles: Performer;
  readonly from: readonly S[];
  readonly to: S | null;
  readonly sca?: boolean;
  readonly mutation?: string;
}

export type ActionTable<S extends string> = { readonly [action: string]: ActionRule<S> };

/** Freezes an action table after checking every from → to against the machine (a bug, not a user error). */
export function defineActions<S extends string, const A extends ActionTable<S>>(machine: StateMachine<S>, actions: A): A {
  for (const [name, rule] of Object.entries(actions)) {
    for (const from of rule.from) {
      if (rule.to !== null && from !== rule.to && !machine.canTransition(from, rule.to)) {
        throw new Error(`${machine.name} action ${name}: ${from} → ${rule.to} is not in the transition table`);
      }
    }
  }
  return Object.freeze(actions);
}

/** Whether the action may start from `status`. */
export const startsFrom = <S extends string>(rule: ActionRule<S>, status: string): status is S =>
  (rule.from as readonly string[]).includes(status);

/** INVALID_STATE (with currentStatus) unless the action may start from `status`. */
export const checkStart = <S extends string>(rule: ActionRule<S>, status: S, verb: string): DomainError | null =>
  startsFrom(rule, status) ? null : invalidState(status, verb);

/** Whether someone holding `roles` may perform the action at all (state and row rules aside). */
export function roleAllows(rule: ActionRule<string>, roles: ReadonlySet<Role>): boolean {
  if (rule.roles === 'SYSTEM') return false;
  if (rule.roles === 'BANK') return true;
  return rule.roles.some((role) => roles.has(role));
}

/** What an actor needs to know about itself for the action rows: its roles and SCA enrolment. */
export interface ActionActor {
  readonly roles: ReadonlySet<Role>;
  readonly scaEnrolled: boolean;
}

/**
 * Whether the row lets this actor act on an entity in `status`: role, SCA enrolment and state. Row
 * rules beyond the table (dual control, the confirming controller, the run's state for a batch) are
 * the policies' (`canX`); this is what a "which actions may the viewer take" field can list.
 */
export const actionOpen = (rule: ActionRule<string>, actor: ActionActor, status: string): boolean =>
  roleAllows(rule, actor.roles) && (!rule.sca || actor.scaEnrolled) && startsFrom(rule, status);

/** The names of the table's actions open to the actor on an entity in `status` (see actionOpen). */
export function openActions(table: ActionTable<string>, actor: ActionActor, status: string): string[] {
  return Object.entries(table).filter(([, rule]) => rule.mutation && actionOpen(rule, actor, status)).map(([name]) => name);
}
