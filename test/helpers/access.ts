import { graphql } from '../generated/index.ts';
import type { SignedInUser } from './factories.ts';
import type { TestApp } from './test-app.ts';

export const CreateApiKey = graphql(`
  mutation CreateApiKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) { secret apiKey { id name roles createdAt lastUsedAt revokedAt owner { id } } }
  }
`);
export const RevokeApiKey = graphql(`mutation RevokeApiKey($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }`);
export const ApiKeys = graphql(`query ApiKeys { apiKeys { id name roles lastUsedAt revokedAt owner { id } } }`);
export const AuditEvents = graphql(`
  query AuditEvents($first: Int, $after: String, $actions: [String!]) {
    auditEvents(first: $first, after: $after, actions: $actions) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id occurredAt action actor { id } apiKey { id } targetId details } }
    }
  }
`);
export const ChangePassword = graphql(`
  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {
    changePassword(currentPassword: $currentPassword, newPassword: $newPassword)
  }
`);
export const Logout = graphql(`mutation Logout { logout }`);
export const DeactivateUser = graphql(`mutation DeactivateUser($userId: ID!) { deactivateUser(userId: $userId) { id deactivatedAt } }`);
export const ResetSca = graphql(`mutation ResetSca($userId: ID!) { resetScaEnrolment(userId: $userId) { id scaEnrolled } }`);
export const WhoAmI = graphql(`query WhoAmI { viewer { id roles } }`);

export type Role = 'ADMIN' | 'CREATOR' | 'CONTROLLER';

/** A key of `user` with `roles`, and a client that sends it as its bearer credential. */
export async function apiKeyOf(app: TestApp, user: SignedInUser, roles: Role[], name = 'integration') {
  const { createApiKey } = await user.client.data(CreateApiKey, { input: { name, roles } });
  return { id: createApiKey.apiKey.id, secret: createApiKey.secret, client: app.client(createApiKey.secret) };
}

export interface AuditRow {
  id: string;
  action: string;
  actor: { id: string } | null;
  apiKey: { id: string } | null;
  targetId: string | null;
  details: string | null;
}

/** The buyer's audit events with `action`, newest first, as an ADMIN reads them. */
export async function auditOf(admin: SignedInUser, action: string): Promise<AuditRow[]> {
  const { auditEvents } = await admin.client.data(AuditEvents, { first: 500, actions: [action] });
  return auditEvents.edges.map((e) => e.node);
}
