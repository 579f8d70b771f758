import { z } from 'zod';
import { isValidTimeZone } from '../time.js';
import { Cursor, Id, Instant, Limit, NullableText, Text } from './common.js';

export const TimeZone = z
  .string()
  .min(1)
  .max(64)
  .refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Amsterdam')
  .meta({ example: 'Europe/Amsterdam' });

export const Location = z
  .strictObject({
    id: Id,
    name: z.string(),
    address: z.string().nullable(),
    timezone: z.string(),
    createdAt: Instant,
    updatedAt: Instant,
  })
  .meta({ id: 'Location' });
export type Location = z.infer<typeof Location>;

export const CreateLocationBody = z
  .strictObject({ name: Text(120), address: NullableText(300).optional(), timezone: TimeZone })
  .meta({ id: 'CreateLocationBody' });
export type CreateLocationBody = z.infer<typeof CreateLocationBody>;

export const PatchLocationBody = z
  .strictObject({ name: Text(120).optional(), address: NullableText(300).optional(), timezone: TimeZone.optional() })
  .refine((v) => Object.keys(v).length > 0, { message: 'send at least one field to change' })
  .meta({ id: 'PatchLocationBody' });
export type PatchLocationBody = z.infer<typeof PatchLocationBody>;

export const LocationListQuery = z.strictObject({ limit: Limit, cursor: Cursor.optional() });
export type LocationListQuery = z.infer<typeof LocationListQuery>;
