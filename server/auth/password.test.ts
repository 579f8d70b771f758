import { describe, expect, it } from '@jest/globals';
import { hashPassword, verifyPassword } from './password.js';

describe('password hashing', () => {
  it('is argon2id with the parameters it names, salted per hash', async () => {
    const [first, second] = await Promise.all([hashPassword('a long enough password'), hashPassword('a long enough password')]);
    expect(first).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(first).not.toBe(second);
  });

  it('verifies the password and nothing else, and a malformed hash as a mismatch', async () => {
    const stored = await hashPassword('a long enough password');
    expect(await verifyPassword(stored, 'a long enough password')).toBe(true);
    expect(await verifyPassword(stored, 'a long enough passworD')).toBe(false);
    expect(await verifyPassword('not a hash', 'a long enough password')).toBe(false);
  });
});
