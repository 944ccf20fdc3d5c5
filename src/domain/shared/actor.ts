import type { Role } from './statuses.ts';

/** Who is acting: read fresh from the database on every operation (roles are never trusted from a token). */
export interface Actor {
  readonly userId: string;
  readonly buyerId: string;
  readonly roles: ReadonlySet<Role>;
  readonly scaEnrolled: boolean;
}
