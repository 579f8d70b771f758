import { lastRole } from '../api/auth.js';
import { ROUTES } from './routes.js';

/**
 * A cold load asks who is signed in before anything else, and only then would fetch the screen's
 * code, and only then its data: one round trip after another. Instead, when this device was last
 * signed in with a role that may open the address's screen, its code and its first reads start
 * at once, beside the session probe; the screen takes their answers when it mounts. Without that
 * guess nothing is sent ahead, so a signed-out visit sends nothing that would be refused.
 */
export function preloadPlace(location: Location = window.location): void {
  const role = lastRole();
  const route = ROUTES.find((r) => r.path === location.pathname);
  if (!role || !route || !route.roles.includes(role)) return;
  void route.load().catch(() => undefined);
  route.preloadData?.(new URLSearchParams(location.search));
}
