import { jwtVerify, SignJWT, errors } from 'jose';

/**
 * Bearer tokens carry only who the user is and which session (`jti`) they belong to; roles are read
 * fresh from the database per operation, in the same query that checks the session is not revoked.
 */
export interface TokenService {
  issue(userId: string, buyerId: string, sessionId?: string): Promise<string>;
  /** Returns the claims, or null for a missing, forged, malformed or expired token. */
  verify(token: string): Promise<{ userId: string; buyerId: string; sessionId: string | null } | null>;
}

const ISSUER = 'payment-run-gateway';

export function createTokenService(secret: string, ttlSeconds: number): TokenService {
  const key = new TextEncoder().encode(secret);
  return {
    issue: (userId, buyerId, sessionId) => {
      const jwt = new SignJWT({ buyer: buyerId })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(userId)
        .setIssuer(ISSUER)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`);
      if (sessionId) jwt.setJti(sessionId);
      return jwt.sign(key);
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, { issuer: ISSUER, algorithms: ['HS256'] });
        if (typeof payload.sub !== 'string' || typeof payload.buyer !== 'string') return null;
        return { userId: payload.sub, buyerId: payload.buyer, sessionId: typeof payload.jti === 'string' ? payload.jti : null };
      } catch (error) {
        if (error instanceof errors.JOSEError) return null;
        throw error;
      }
    },
  };
}

/** `Bearer <token>` → token; tolerant of case and surrounding space, strict about the scheme. */
export function bearerToken(header: string | null | undefined): string | null {
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1]! : null;
}
