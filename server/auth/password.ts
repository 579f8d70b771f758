import { hash, verify, type Algorithm, type Options } from '@node-rs/argon2';

/**
 * argon2id at OWASP's baseline (19 MiB, 2 passes, 1 lane), named here rather than left to the
 * library's defaults. The hash string carries its own parameters, so they can be raised later
 * without invalidating stored hashes.
 */
const ARGON2: Options = {
  algorithm: 2 as Algorithm, // Algorithm.Argon2id: an ambient const enum, not importable as a value here
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}
