/**
 * Waits at most `ms` for a Redis operation, measured as time Redis had to answer rather than as
 * time on the clock. Node runs expired timers before it reads sockets, so a plain timer fires
 * even when the reply is already waiting unread, whenever the process itself was busy (a burst
 * of requests holding the event loop). Two corrections:
 * - a timer that fires late (the loop was blocked for longer than `ms`) re-arms, up to
 *   LAG_ALLOWANCE × `ms` in all;
 * - a timer that fires on time still gives the poll phase one turn (`setImmediate`) before it
 *   fails the operation, so a reply that has arrived is read first.
 * On an idle process a stalled Redis is given up on at `ms`.
 */
export function bounded<T>(promise: Promise<T>, ms: number): Promise<T> {
  // The operation may still settle after we stopped waiting; its outcome no longer matters.
  promise.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  const started = performance.now();
  const timeout = new Promise<never>((_, reject) => {
    const arm = (delay: number, due: number) => {
      timer = setTimeout(() => {
        const now = performance.now();
        const late = now - due > ms;
        if (late && now - started < ms * LAG_ALLOWANCE) return arm(ms, now + ms);
        immediate = setImmediate(() => reject(new Error(`Redis did not answer within ${ms} ms`)));
      }, delay);
      // A wait for Redis is never a reason to keep the process alive (shutdown, test teardown).
      timer.unref();
    };
    arm(ms, started + ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
    clearImmediate(immediate);
  });
}

export const LAG_ALLOWANCE = 10;
