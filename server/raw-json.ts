/**
 * A body already serialised (a cache entry's stored bytes): sent as it is, so a response is the
 * same byte for byte whether it came from the cache or from Postgres.
 */
export class RawJson {
  constructor(readonly json: string | Buffer) {}
}
