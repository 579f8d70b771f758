import { z } from 'zod';
import { HourlyRateInput, MaxWeeklyHoursInput } from './planning.js';
import { BooleanParam, Cursor, Id, IdParam, Instant, Limit, NullableText, Text, storableText } from './common.js';

export const ROLES = ['admin', 'manager', 'crew'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

export const Email = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email('must be an email address'))
  .transform((v) => v.toLowerCase());

/** The password rules, as the API enforces them and the app shows them before anyone submits. */
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 256;
export const PASSWORD_RULES = `At least ${PASSWORD_MIN} characters (at most ${PASSWORD_MAX}). A few unrelated words make a strong one.`;
export const Password = z
  .string()
  .min(PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`)
  .max(PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`)
  .refine((v) => v.length < PASSWORD_MIN || v.trim().length >= PASSWORD_MIN, `must have at least ${PASSWORD_MIN} characters besides spaces`);

export const Membership = z
  .strictObject({ locationId: Id, position: z.string().nullable() })
  .meta({ id: 'Membership', description: 'A location the user works at, with their position there' });

/** A user as the API shows them: never a password or its hash. */
export const User = z
  .strictObject({
    id: Id,
    email: z.string(),
    name: z.string(),
    role: Role,
    phone: z.string().nullable(),
    active: z.boolean(),
    locationIds: z.array(Id),
    memberships: z.array(Membership),
    invitePending: z.boolean().meta({ description: 'Invited and has not chosen a password yet' }),
    hourlyRate: z
      .string()
      .nullable()
      .meta({ description: "A decimal in the deployment's CURRENCY (\"15.50\"); shown only to admins, to managers who share a location with the user, and to the user" }),
    maxWeeklyHours: z.number().nullable().meta({ description: 'Hours a week above which the person works overtime; null: no limit' }),
    createdAt: Instant,
    updatedAt: Instant,
  })
  .meta({ id: 'User' });
export type User = z.infer<typeof User>;

export const Phone = NullableText(40).refine((v) => v === null || /^[+0-9 ()./-]{3,40}$/.test(v), 'must be a phone number');

const MembershipInput = z.strictObject({ locationId: Id, position: NullableText(80).optional() });
const membershipFields = {
  locationIds: z.array(Id).max(100).optional().meta({ description: 'The locations the user works at' }),
  memberships: z.array(MembershipInput).max(100).optional().meta({ description: 'Alternative to locationIds, with positions' }),
};
const oneMembershipForm = (v: { locationIds?: unknown; memberships?: unknown }) => !(v.locationIds && v.memberships);

export const CreateUserBody = z
  .strictObject({
    email: Email,
    name: Text(120),
    role: Role,
    password: Password.optional().meta({ description: 'Leave out to invite the person: the answer carries `inviteUrl`' }),
    phone: Phone.optional(),
    ...membershipFields,
  })
  .refine(oneMembershipForm, { message: 'send locationIds or memberships, not both', path: ['memberships'] })
  .meta({ id: 'CreateUserBody' });
export type CreateUserBody = z.infer<typeof CreateUserBody>;

/** A new user; with `inviteUrl` (their one-time link to choose a password) when none was given. */
export const CreatedUser = User.extend({
  inviteUrl: z.string().optional().meta({ description: 'The one-time `/welcome?token=…` link, valid for 7 days; only in this answer' }),
}).meta({ id: 'CreatedUser' });
export type CreatedUser = z.infer<typeof CreatedUser>;

export const PatchUserBody = z
  .strictObject({
    email: Email.optional(),
    name: Text(120).optional(),
    role: Role.optional(),
    phone: Phone.optional(),
    active: z.boolean().optional(),
    password: Password.optional(),
    hourlyRate: HourlyRateInput.optional(),
    maxWeeklyHours: MaxWeeklyHoursInput.optional(),
    ...membershipFields,
  })
  .refine(oneMembershipForm, { message: 'send locationIds or memberships, not both', path: ['memberships'] })
  .refine((v) => Object.keys(v).length > 0, { message: 'send at least one field to change' })
  .meta({ id: 'PatchUserBody' });
export type PatchUserBody = z.infer<typeof PatchUserBody>;

export const UserListQuery = z.strictObject({
  role: Role.optional(),
  locationId: IdParam.optional(),
  active: BooleanParam.optional(),
  q: z.string().trim().min(1).max(100).refine(storableText, 'must not contain NUL characters or unpaired surrogates').optional(),
  limit: Limit,
  cursor: Cursor.optional(),
});
export type UserListQuery = z.infer<typeof UserListQuery>;

export const LoginBody = z.strictObject({ email: Email, password: z.string().min(1).max(256) }).meta({ id: 'LoginBody' });
export const PasswordChangeBody = z
  .strictObject({ currentPassword: z.string().min(1).max(256), newPassword: Password })
  .meta({ id: 'PasswordChangeBody' });

export const AuthResponse = z.strictObject({ user: User }).meta({ id: 'AuthResponse' });
/** The session probe's answer: who is signed in, or null, never a 401 (a browser logs every 4xx as an error). */
export const SessionResponse = z.strictObject({ user: User.nullable() }).meta({ id: 'SessionResponse' });
