import { hashPassword } from '../../auth/password.ts';
import { AuditAction, writeAuditEvent } from '../audit/audit.ts';
import { FieldError } from '../shared/errors.ts';
import { checkNewUser, FieldRules, normaliseEmail, type NewUserInput } from '../shared/input.ts';
import { Role, type Currency } from '../shared/statuses.ts';
import type { DomainDeps } from '../shared/unit-of-work.ts';
import { emailTaken, isUniqueViolation } from '../user/user.commands.ts';

export interface CreateBuyerInput {
  name: string;
  supportedCurrencies: Currency[];
  requireDualControl?: boolean | null;
  admin: NewUserInput;
}

/** Operator action: a new tenant and its first user, who holds every role. */
export async function createBuyer(deps: DomainDeps, input: CreateBuyerInput) {
  const rules = new FieldRules();
  rules.text('name', input.name, 1, 140);
  if (input.supportedCurrencies.length === 0) {
    rules.add({ fieldName: 'supportedCurrencies', error: FieldError.SIZE, params: { min: 1 } });
  }
  checkNewUser(rules, input.admin, 'admin.');
  rules.throwIfAny();

  const passwordHash = await hashPassword(input.admin.password);
  try {
    return await deps.prisma.$transaction(async (tx) => {
      const buyer = await tx.buyer.create({
        data: {
          name: input.name,
          supportedCurrencies: [...new Set(input.supportedCurrencies)],
          requireDualControl: input.requireDualControl ?? false,
          relayPosition: { create: {} },
        },
      });
      const admin = await tx.user.create({
        data: {
          buyerId: buyer.id,
          email: normaliseEmail(input.admin.email),
          name: input.admin.name,
          passwordHash,
          roles: [Role.ADMIN, Role.CREATOR, Role.CONTROLLER],
        },
      });
      // The operator acts for no user: the first admin's creation is audited without an actor.
      await writeAuditEvent(tx, buyer.id, null, AuditAction.USER_CREATED, { type: 'User', id: admin.id }, {
        email: admin.email, roles: admin.roles, via: 'createBuyer',
      });
      return buyer;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw emailTaken('admin.email');
    throw error;
  }
}
