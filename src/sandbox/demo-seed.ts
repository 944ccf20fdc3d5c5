import { createBuyer } from '../domain/buyer/buyer.commands.ts';
import { linkAccount } from '../domain/linked-account/linked-account.commands.ts';
import type { DomainDeps } from '../domain/ports.ts';
import { enrolScaDevice, verifyScaEnrolment } from '../domain/user/sca.commands.ts';
import { actorByEmail, createUser } from '../domain/user/user.commands.ts';
import { seedDemoRuns } from './demo-runs.ts';
import { SANDBOX_ONE_TIME_PASSWORD } from './sca.ts';

/** What the seed needs: the domain's dependencies and somewhere to say what it did (the app's services fit). */
export interface SeedDeps {
  readonly domain: DomainDeps;
  readonly logger: { info(details: object, message: string): void };
}

/**
 * First start in embedded mode: a demo buyer with a CREATOR, an SCA-enrolled CONTROLLER and a linked
 * account, so a newcomer can sign in and drive a run from GraphiQL at once. Runs once per database.
 */
export const DEMO = {
  password: 'demo-password-123',
  admin: 'admin@demo.example',
  creator: 'creator@demo.example',
  controller: 'controller@demo.example',
} as const;

export async function seedDemo({ domain, logger }: SeedDeps, graphqlUrl: string, print = true): Promise<void> {
  if (!(await actorByEmail(domain, DEMO.admin))) {
    const buyer = await createBuyer(domain, {
      name: 'Demo Buyer Ltd',
      supportedCurrencies: ['GBP', 'EUR'],
      admin: { email: DEMO.admin, name: 'Ada Admin', password: DEMO.password },
    });
    const adminActor = (await actorByEmail(domain, DEMO.admin))!;
    await createUser(domain, adminActor, { email: DEMO.creator, name: 'Chris Creator', password: DEMO.password, roles: ['CREATOR'] });
    await createUser(domain, adminActor, {
      email: DEMO.controller, name: 'Casey Controller', password: DEMO.password, roles: ['CONTROLLER'],
    });
    // Enrolled as a person would be: start an enrolment, answer it with the sandbox code.
    const controller = (await actorByEmail(domain, DEMO.controller))!;
    await enrolScaDevice(domain, controller);
    await verifyScaEnrolment(domain, controller, SANDBOX_ONE_TIME_PASSWORD);
    const gbp = await linkAccount(domain, adminActor, {
      institutionCode: 'SANDBOX_BANK_GB',
      friendlyName: 'Demo operating account',
      accountIdentification: { fasterPayments: { accountNumber: '12345678', sortCode: '400000' } },
    });
    await linkAccount(domain, adminActor, {
      institutionCode: 'SANDBOX_BANK_EU',
      friendlyName: 'Demo euro account',
      accountIdentification: { sepa: { iban: 'DE89370400440532013000', bankIdentifierCode: 'COBADEFFXXX' } },
    });
    // Runs need the sandbox's simulated bank; a demo seeded outside the sandbox has users and accounts only.
    if (domain.sandbox) {
      const creator = (await actorByEmail(domain, DEMO.creator))!;
      await seedDemoRuns(domain, { creator, controller: (await actorByEmail(domain, DEMO.controller))! }, gbp.id);
    }
    logger.info({ buyerId: buyer.id }, 'demo buyer seeded');
  }
  if (!print) return;
  const graphiql = graphqlUrl.replace('127.0.0.1', 'localhost');
  console.log(
    [
      '',
      `  Payment-run gateway (sandbox) — GraphiQL: ${graphiql}`,
      `  Demo users (password "${DEMO.password}"):`,
      `    ${DEMO.creator}     CREATOR`,
      `    ${DEMO.controller}  CONTROLLER, SCA enrolled (one-time password 123456)`,
      `    ${DEMO.admin}       ADMIN, CREATOR, CONTROLLER`,
      '  Sign in with: mutation { login(email: "...", password: "...") { token } }',
      '  then send the header  Authorization: Bearer <token>',
      '',
    ].join('\n'),
  );
}
