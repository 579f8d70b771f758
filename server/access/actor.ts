import type { Role } from '../../shared/schemas/users.js';
import type { SessionAccess } from '../auth/session.store.js';

/** Who is asking: from the session, never from the request body. */
export interface Actor {
  userId: number;
  role: Role;
  locationIds: ReadonlySet<number>;
}

export function actorFromSession(access: SessionAccess): Actor {
  return { userId: access.userId, role: access.role, locationIds: new Set(access.locationIds) };
}
