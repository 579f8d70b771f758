import { sign } from 'cookie-signature';
import { SESSION_COOKIE, VerifiedCookies } from './sessions.js';

const cookieOf = (sid: string, secret: string, other = 'theme=dark') => `${other}; ${SESSION_COOKIE}=${encodeURIComponent(`s:${sign(sid, secret)}`)}`;

describe('VerifiedCookies', () => {
  it('answers the id of a cookie signed with any of the secrets, the same again from memory', () => {
    const cookies = new VerifiedCookies(['current', 'previous']);
    const header = cookieOf('abc', 'previous');
    expect(cookies.sessionId(header)).toBe('abc');
    expect(cookies.sessionId(header)).toBe('abc');
    expect(cookies.sessionId(cookieOf('def', 'current'))).toBe('def');
  });

  it('never answers for a forged or unsigned cookie, however often it comes', () => {
    const cookies = new VerifiedCookies(['current']);
    const good = cookieOf('abc', 'current');
    expect(cookies.sessionId(good)).toBe('abc');
    // The same id under another key's signature, a tampered signature, and no signature at all.
    const forged = [cookieOf('abc', 'guess'), good.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), `${SESSION_COOKIE}=abc`, `${SESSION_COOKIE}=s%3Aabc`];
    for (const header of [...forged, ...forged]) expect(cookies.sessionId(header)).toBeUndefined();
    expect(cookies.sessionId(undefined)).toBeUndefined();
    expect(cookies.sessionId('')).toBeUndefined();
  });

  it('keeps at most its bound, dropping the oldest, and still verifies what it dropped', () => {
    const cookies = new VerifiedCookies(['current'], 2);
    const headers = ['a', 'b', 'c'].map((sid) => cookieOf(sid, 'current'));
    for (const header of headers) cookies.sessionId(header);
    const remembered = (cookies as unknown as { ids: Map<string, string> }).ids;
    expect([...remembered.values()]).toEqual(['b', 'c']);
    expect(cookies.sessionId(headers[0])).toBe('a');
    expect([...remembered.values()]).toEqual(['c', 'a']);
  });
});
