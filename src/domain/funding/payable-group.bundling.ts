/**
 * How a bundling run's payables become transfers (CONTRACT.md §13). Pure: no I/O, inputs never
 * mutated.
 *
 * Payables bundle when they share the currency, the bank account details (sort code + account
 * number + secondary reference for Faster Payments, IBAN for SEPA) and the supplier's name once
 * normalised: trimmed, every run of inner whitespace collapsed to one space, compared without case
 * ("ACME  Ltd" and " acme ltd" bundle; "ACME Ltd." and "ACME Ltd" do not — punctuation is part of
 * the name a bank's payee check compares). An absent secondary reference equals an empty one; the
 * BIC is not part of the key (the IBAN names the account).
 */

/** What bundling reads of a payable. */
export interface BundlePayable {
  readonly position: number;
  readonly amount: bigint;
  readonly currency: string;
  readonly reference: string;
  readonly supplierName: string;
  readonly sortCode: string | null;
  readonly accountNumber: string | null;
  readonly secondaryReference: string | null;
  readonly iban: string | null;
}

/** One transfer: its members in run order and their total. */
export interface Transfer<T> {
  readonly members: T[];
  readonly amount: bigint;
  /** Run position of its first member: transfers are listed and batched in this order. */
  readonly position: number;
}

/** The supplier name as bundling compares it. */
export const normaliseSupplierName = (name: string): string => name.trim().replace(/\s+/g, ' ').toLowerCase();

/** Payables with equal keys go out as one transfer. */
export function bundleKey(p: BundlePayable): string {
  // Parts joined by a control character no validated field can contain (cheaper than JSON over 10,000 payables).
  const account = p.iban !== null
    ? `IBAN\u0001${p.iban.toUpperCase()}`
    : `FP\u0001${p.sortCode ?? ''}\u0001${p.accountNumber ?? ''}\u0001${p.secondaryReference ?? ''}`;
  return `${p.currency}\u0001${account}\u0001${normaliseSupplierName(p.supplierName)}`;
}

/**
 * Payables (in run order) → transfers, in order of their first member. Without bundling every
 * payable is a transfer of its own, in the same order, so funding packs exactly as before.
 */
export function formTransfers<T extends BundlePayable>(payables: readonly T[], bundle: boolean): Transfer<T>[] {
  const inOrder = [...payables].sort((a, b) => a.position - b.position);
  if (!bundle) return inOrder.map((p) => ({ members: [p], amount: p.amount, position: p.position }));
  const byKey = new Map<string, T[]>();
  for (const p of inOrder) {
    const key = bundleKey(p);
    const members = byKey.get(key);
    if (members) members.push(p);
    else byKey.set(key, [p]);
  }
  return [...byKey.values()].map((members) => ({
    members, amount: members.reduce((sum, m) => sum + m.amount, 0n), position: members[0]!.position,
  }));
}

/** What the beneficiary's bank shows: Faster Payments carries 18 characters, SEPA 35. */
export const REFERENCE_LIMITS: Readonly<Record<string, number>> = { GBP: 18, EUR: 35 };

/**
 * The reference a transfer carries. A single payable keeps its own. A bundle carries its members'
 * distinct references joined by spaces when they fit the scheme (the supplier reads every invoice
 * off the statement); otherwise its first member's reference, shortened if need be, followed by
 * " <n> MORE" where n is the number of other members, and the remittance (each member's reference
 * and amount, `PayableGroup.payables`) lists the rest. Member references use the scheme charset
 * `[0-9A-Za-z .-]`, and so does the result.
 */
export function transferReference(currency: string, memberReferences: readonly string[]): string {
  const limit = REFERENCE_LIMITS[currency] ?? 18;
  if (memberReferences.length === 1) return memberReferences[0]!;
  const distinct = [...new Set(memberReferences.map((r) => r.trim()).filter((r) => r !== ''))];
  const joined = distinct.join(' ');
  if (joined.length <= limit) return joined;
  const suffix = ` ${memberReferences.length - 1} MORE`;
  return `${distinct[0]!.slice(0, limit - suffix.length).trim()}${suffix}`;
}
