import { randomUUID } from 'node:crypto';
import { graphql } from '../generated/index.ts';
import type { GraphQLTestClient } from './graphql-client.ts';
import type { TestApp } from './test-app.ts';

export const PASSWORD = 'correct-horse-battery';

export const CreateBuyer = graphql(`
  mutation CreateBuyer($input: CreateBuyerInput!) {
    createBuyer(input: $input) { id name supportedCurrencies requireDualControl }
  }
`);
export const Login = graphql(`
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) { token user { id email roles scaEnrolled } }
  }
`);
export const CreateUser = graphql(`
  mutation CreateUser($input: NewUserInput!) { createUser(input: $input) { id email roles } }
`);
export const EnrolSca = graphql(`mutation EnrolSca { enrolScaDevice }`);
export const VerifySca = graphql(`
  mutation VerifySca($code: String!) { verifyScaEnrolment(code: $code) { id scaEnrolled } }
`);
export const LinkAccount = graphql(`
  mutation LinkAccount($input: LinkAccountInput!) {
    linkAccount(input: $input) { id status currency institution { code } }
  }
`);

export interface SignedInUser {
  id: string;
  email: string;
  token: string;
  client: GraphQLTestClient;
}

export interface Tenant {
  buyerId: string;
  admin: SignedInUser;
  creator: SignedInUser;
  controller: SignedInUser;
  /** A second controller, for dual control and "the confirming controller" rules. */
  controller2: SignedInUser;
}

const uniqueEmail = (label: string) => `${label}-${randomUUID().slice(0, 8)}@test.example`;

export async function signIn(app: TestApp, email: string, password = PASSWORD): Promise<SignedInUser> {
  const { login } = await app.client().data(Login, { email, password });
  return { id: login.user.id, email, token: login.token, client: app.client(login.token) };
}

export async function enrolSca(user: SignedInUser) {
  await user.client.data(EnrolSca);
  await user.client.data(VerifySca, { code: '123456' });
}

/** A new buyer with an ADMIN (all roles), a CREATOR and two (SCA-enrolled) CONTROLLERs, all through the API. */
export async function createTenant(
  app: TestApp,
  options: { requireDualControl?: boolean; currencies?: ('GBP' | 'EUR')[]; enrolControllers?: boolean } = {},
): Promise<Tenant> {
  const adminEmail = uniqueEmail('admin');
  const { createBuyer } = await app.operator().data(CreateBuyer, {
    input: {
      name: 'Test Buyer Ltd',
      supportedCurrencies: options.currencies ?? ['GBP', 'EUR'],
      requireDualControl: options.requireDualControl ?? false,
      admin: { email: adminEmail, name: 'Admin', password: PASSWORD },
    },
  });
  const admin = await signIn(app, adminEmail);
  const user = async (label: string, roles: ('CREATOR' | 'CONTROLLER')[]) => {
    const email = uniqueEmail(label);
    await admin.client.data(CreateUser, { input: { email, name: label, password: PASSWORD, roles } });
    return signIn(app, email);
  };
  const [creator, controller, controller2] = await Promise.all([
    user('creator', ['CREATOR']),
    user('controller', ['CONTROLLER']),
    user('controller2', ['CONTROLLER']),
  ]);
  // The sandbox's code enrols them; outside the sandbox a test enrols with real codes itself.
  if (options.enrolControllers ?? true) await Promise.all([enrolSca(controller), enrolSca(controller2)]);
  return { buyerId: createBuyer.id, admin, creator, controller, controller2 };
}

export async function linkGbAccount(user: SignedInUser, institutionCode = 'SANDBOX_BANK_GB') {
  const { linkAccount } = await user.client.data(LinkAccount, {
    input: {
      institutionCode,
      friendlyName: `${institutionCode} account`,
      accountIdentification: { fasterPayments: { accountNumber: '12345678', sortCode: '400000' } },
    },
  });
  return linkAccount;
}
