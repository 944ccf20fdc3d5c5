import type { AppServices } from '../app-services.ts';
import { createBuyer } from '../domain/buyer/buyer.commands.ts';
import { linkAccount } from '../domain/linked-account/linked-account.commands.ts';
import { createUser } from '../domain/user/user.commands.ts';
import { loadActor } from '../domain/user/user.queries.ts';
import { seedDemoRuns } from './demo-runs.ts';

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

export async function seedDemo(services: AppServices, graphqlUrl: string, print = true): Promise<void> {
  const { domain, logger } = services;
  const existing = await domain.prisma.user.findUnique({ where: { email: DEMO.admin } });
  if (!existing) {
    const buyer = await createBuyer(domain, {
      name: 'Demo Buyer Ltd',
      supportedCurrencies: ['GBP', 'EUR'],
      admin: { email: DEMO.admin, name: 'Ada Admin', password: DEMO.password },
    });
    const admin = await domain.prisma.user.findUniqueOrThrow({ where: { email: DEMO.admin } });
    const adminActor = (await loadActor(domain.prisma, admin.id, buyer.id))!;
    const creator = await createUser(domain, adminActor, { email: DEMO.creator, name: 'Chris Creator', password: DEMO.password, roles: ['CREATOR'] });
    const controller = await createUser(domain, adminActor, {
      email: DEMO.controller, name: 'Casey Controller', password: DEMO.password, roles: ['CONTROLLER'],
    });
    await domain.tenantDb(buyer.id).user.update({ where: { id: controller.id }, data: { scaEnrolled: true } });
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
      const creatorActor = (await loadActor(domain.prisma, creator.id, buyer.id))!;
      const controllerActor = (await loadActor(domain.prisma, controller.id, buyer.id))!;
      await seedDemoRuns(domain, { creator: creatorActor, controller: controllerActor }, gbp.id);
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
