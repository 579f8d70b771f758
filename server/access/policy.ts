import type { Role } from '../../shared/schemas/users.js';
import { AppError, forbidden, notFound } from '../errors.js';
import type { Actor } from './actor.js';

/**
 * Every access rule of the API in one place (API.md, Roles). Routes declare which roles may call
 * them at all; services ask these functions about the resource at hand. A rule answers "may see"
 * and "may change" separately: what the actor may not see is a 404 (ids cannot be probed), what
 * they may see but not change is a 403.
 */

const isAdmin = (a: Actor) => a.role === 'admin';
const shares = (a: Actor, locationIds: readonly number[]) => locationIds.some((id) => a.locationIds.has(id));

/** Admin, or a manager who is a member of the location. */
export const managesLocation = (a: Actor, locationId: number) => isAdmin(a) || (a.role === 'manager' && a.locationIds.has(locationId));
export const memberOf = (a: Actor, locationId: number) => isAdmin(a) || a.locationIds.has(locationId);

interface UserTarget {
  id: number;
  role: Role;
  locationIds: readonly number[];
}

/**
 * Which shifts of a person a list shows: every week of the `managed` locations, and the published
 * weeks of the `published` ones ('any': every location).
 */
export type ShiftVisibility = { all: true } | { managed: readonly number[]; published: readonly number[] | 'any' };

/**
 * People at several locations. A manager sees everyone who shares one of their locations, and
 * places crew in and out of the locations they manage (locationIds, memberships: the rest stay as
 * they are). What belongs to the person rather than to a location (name, phone, active) reaches
 * every location they work at, so a manager changes it only for crew who work nowhere else than
 * at locations that manager runs; for anyone else it is the admin's, and name and phone also the
 * person's own. Deactivation by DELETE is the admin's alone (API.md).
 */
const runsEveryLocationOf = (a: Actor, u: UserTarget) => u.locationIds.every((id) => a.locationIds.has(id));
/** A manager of crew who work at one of the manager's locations (at least). */
const managesCrew = (a: Actor, u: UserTarget) => a.role === 'manager' && u.role === 'crew' && shares(a, u.locationIds);

export const userPolicy = {
  list: (a: Actor) => a.role !== 'crew',
  view: (a: Actor, u: UserTarget) => isAdmin(a) || a.userId === u.id || (a.role === 'manager' && shares(a, u.locationIds)),
  /** Managers create crew only, and only into locations they manage (at least one). */
  create: (a: Actor, input: { role: Role; locationIds: readonly number[] }) =>
    isAdmin(a) || (a.role === 'manager' && input.role === 'crew' && input.locationIds.length > 0 && input.locationIds.every((id) => a.locationIds.has(id))),
  /** Which fields of `u` the actor may change; an empty list means none. */
  editableFields: (a: Actor, u: UserTarget): ReadonlySet<string> => {
    if (isAdmin(a)) return ALL_USER_FIELDS;
    if (managesCrew(a, u)) return runsEveryLocationOf(a, u) ? MANAGER_FIELDS : MEMBERSHIP_FIELDS;
    if (a.userId === u.id) return SELF_FIELDS;
    return NO_FIELDS;
  },
  /** Why a manager may change only the memberships of `u`, for the 403's detail; undefined otherwise. */
  membershipOnlyReason: (a: Actor, u: UserTarget): string | undefined =>
    managesCrew(a, u) && !runsEveryLocationOf(a, u)
      ? 'This person also works at a location you do not manage: you may change which of your locations they belong to; an admin changes the rest.'
      : undefined,
  /**
   * Which of a user's shifts the actor sees in their shift list: those in weeks the actor may see
   * (schedulePolicy.view), and their own in published weeks wherever they are.
   */
  shiftVisibility: (a: Actor, u: UserTarget): ShiftVisibility => {
    if (isAdmin(a)) return { all: true };
    return { managed: a.role === 'manager' ? [...a.locationIds] : [], published: a.userId === u.id ? 'any' : [...a.locationIds] };
  },
  deactivate: (a: Actor) => isAdmin(a),
};

const ALL_USER_FIELDS = new Set(['email', 'name', 'role', 'phone', 'active', 'password', 'locationIds', 'memberships']);
const MANAGER_FIELDS = new Set(['name', 'phone', 'active', 'locationIds', 'memberships']);
const MEMBERSHIP_FIELDS = new Set(['locationIds', 'memberships']);
const SELF_FIELDS = new Set(['name', 'phone']);
const NO_FIELDS = new Set<string>();

export const locationPolicy = {
  view: (a: Actor, locationId: number) => memberOf(a, locationId),
  create: (a: Actor) => isAdmin(a),
  edit: (a: Actor, locationId: number) => managesLocation(a, locationId),
  /** Managers may rename and re-address their locations; only admins move them to another zone. */
  editableFields: (a: Actor): ReadonlySet<string> => (isAdmin(a) ? new Set(['name', 'address', 'timezone']) : new Set(['name', 'address'])),
  delete: (a: Actor) => isAdmin(a),
};

interface ScheduleTarget {
  locationId: number;
  status: 'draft' | 'published';
}

export const schedulePolicy = {
  /** Managers see every week of their locations; crew only the published weeks of theirs. */
  view: (a: Actor, s: ScheduleTarget) => managesLocation(a, s.locationId) || (a.locationIds.has(s.locationId) && s.status === 'published'),
  edit: (a: Actor, s: { locationId: number }) => managesLocation(a, s.locationId),
  /** Crew take open shifts of published weeks of their locations. */
  claim: (a: Actor, s: ScheduleTarget) => a.role === 'crew' && a.locationIds.has(s.locationId) && s.status === 'published',
};

/**
 * A calendar feed shows a person's shifts to whoever holds its address, so only the person makes
 * one (API.md): not their manager, not an admin. Who may see the person and is not them gets a 403.
 */
export const calendarPolicy = {
  makeFeed: (a: Actor, userId: number) => a.userId === userId,
};

/** Throws 404 when the actor may not see the resource. */
export function ensureVisible(visible: boolean, what: string): void {
  if (!visible) throw notFound(what);
}

/** Throws 403 when the actor may see but not do this. */
export function ensureAllowed(allowed: boolean, detail?: string): void {
  if (!allowed) throw forbidden(detail);
}

/** Throws 403 naming the fields of a patch the actor may not change. */
export function ensureFieldsAllowed(patch: object, allowed: ReadonlySet<string>, reason?: string): void {
  const refused = Object.keys(patch).filter((field) => !allowed.has(field));
  if (refused.length > 0) {
    throw new AppError('forbidden', `You may not change ${refused.join(', ')}.${reason ? ` ${reason}` : ''}`, {
      errors: refused.map((path) => ({ path, message: 'you may not change this field' })),
    });
  }
}
