import { describe, expect, it } from '@jest/globals';
import { users } from '../db/schema.js';
import { verifyPassword } from '../auth/password.js';
import { withFreshDatabase } from '../../test/support/fresh-database.js';
import { testLogger } from '../../test/support/logs.js';
import { insertUser } from '../../test/support/factories.js';
import { bootstrapAdmin } from './users.bootstrap.js';

const admin = { email: 'owner@test.crewplots.example', password: 'a long admin password' };

describe('first admin from ADMIN_EMAIL / ADMIN_PASSWORD', () => {
  it('creates exactly one admin on an empty database, even when instances start together', async () => {
    await withFreshDatabase(async ({ db }) => {
      await Promise.all([1, 2, 3].map(() => bootstrapAdmin(db, { bootstrapAdmin: admin }, testLogger())));
      const rows = await db.select().from(users);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ email: admin.email, role: 'admin', active: true });
      expect(rows[0]!.passwordHash).toMatch(/^\$argon2id\$/);
      expect(await verifyPassword(rows[0]!.passwordHash!, admin.password)).toBe(true);
    });
  });

  it('creates nobody once any user exists, or when the variables are not set', async () => {
    await withFreshDatabase(async ({ db }) => {
      await bootstrapAdmin(db, { bootstrapAdmin: undefined }, testLogger());
      expect(await db.select().from(users)).toHaveLength(0);
      await insertUser(db, { role: 'crew' });
      await bootstrapAdmin(db, { bootstrapAdmin: admin }, testLogger());
      expect((await db.select().from(users)).map((u) => u.role)).toEqual(['crew']);
    });
  });
});
