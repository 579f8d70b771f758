import type { FieldError } from '../../../../shared/index.js';
import type { CreateUserInput, Location, PatchUserInput, Role, User } from '../../api/types.js';

export interface UserFormValues {
  name: string;
  email: string;
  role: Role;
  phone: string;
  password: string;
  /** Location id → position there ('' for none); a location is in the map when ticked. */
  places: Map<number, string>;
}

/** The form's starting values; only memberships at the locations the form shows are editable. */
export function valuesFromUser(user: User | null, shown: Location[]): UserFormValues {
  return {
    name: user?.name ?? '',
    email: user?.email ?? '',
    role: user?.role ?? 'crew',
    phone: user?.phone ?? '',
    password: '',
    places: new Map(user?.memberships.filter((m) => shown.some((l) => l.id === m.locationId)).map((m) => [m.locationId, m.position ?? ''])),
  };
}

/**
 * Memberships as the API wants them, for the locations this form shows. A manager sees only the
 * locations they manage; the server leaves a person's memberships elsewhere as they are.
 */
function memberships(values: UserFormValues) {
  return [...values.places].map(([locationId, position]) => ({ locationId, position: position.trim() || null }));
}

export function createBody(values: UserFormValues): CreateUserInput {
  return {
    name: values.name,
    email: values.email,
    role: values.role,
    // None: the person is invited and chooses their own.
    password: values.password || undefined,
    phone: values.phone.trim() || null,
    memberships: memberships(values),
  };
}

/** Only what changed, and only the fields the editor may change. */
/**
 * Whether `me` may change what belongs to the person rather than to a location (name, phone,
 * active): admins always, managers only for crew who work nowhere but at their locations. The
 * server decides (server/access/policy.ts); this keeps the form from offering what it refuses.
 */
export function runsAccountOf(me: User, user: User): boolean {
  return me.role === 'admin' || me.id === user.id || (user.role === 'crew' && user.locationIds.every((id) => me.locationIds.includes(id)));
}

export function patchBody(values: UserFormValues, user: User, shown: Location[], asAdmin: boolean): PatchUserInput {
  const body: PatchUserInput = {};
  if (values.name !== user.name) body.name = values.name;
  if ((values.phone.trim() || null) !== user.phone) body.phone = values.phone.trim() || null;
  if (asAdmin && values.email.trim().toLowerCase() !== user.email) body.email = values.email;
  if (asAdmin && values.role !== user.role) body.role = values.role;
  if (asAdmin && values.password) body.password = values.password;
  const next = memberships(values);
  const before = user.memberships.filter((m) => shown.some((l) => l.id === m.locationId));
  const same = next.length === before.length && next.every((m) => before.some((o) => o.locationId === m.locationId && o.position === m.position));
  if (!same) body.memberships = next;
  return body;
}

/** Server and schema paths, to the form's fields ("memberships.1.position" → that location's row). */
export function fieldFor(error: FieldError, values: UserFormValues): string {
  const [head, index] = error.path.split('.');
  if (head === 'memberships' && index !== undefined) {
    const entry = memberships(values)[Number(index)];
    return entry ? `place-${entry.locationId}` : 'places';
  }
  if (head === 'memberships' || head === 'locationIds') return 'places';
  return head ?? '';
}
