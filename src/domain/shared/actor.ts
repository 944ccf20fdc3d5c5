import type { Role } from './statuses.ts';

/** Who is acting: read fresh from the database on every operation (roles are never trusted from a token). */
export interface Actor {
  readonly userId: string;
  readonly buyerId: string;
  /** For an API key: the roles both the key and its owner hold. */
  readonly roles: ReadonlySet<Role>;
  readonly scaEnrolled: boolean;
  /** Set when a machine client acts through an API key (which never passes SCA). */
  readonly apiKeyId?: string | null;
  /** The signed-in session (the token's jti) a person acts through; logout revokes it. */
  readonly sessionId?: string | null;
}
