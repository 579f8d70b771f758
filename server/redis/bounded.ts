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
  // One promise and one timer per operation: this runs for every Redis read of every request.
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let immediate: NodeJS.Immediate | undefined;
    const started = performance.now();
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(current);
      if (immediate) clearImmediate(immediate);
      settle();
    };
    const arm = (due: number): NodeJS.Timeout => {
      const timer = setTimeout(() => {
        const now = performance.now();
        if (now - due > ms && now - started < ms * LAG_ALLOWANCE) {
          current = arm(now + ms);
          return;
        }
        immediate = setImmediate(() => finish(() => reject(new Error(`Redis did not answer within ${ms} ms`))));
      }, ms);
      // A wait for Redis is never a reason to keep the process alive (shutdown, test teardown).
      timer.unref();
      return timer;
    };
    let current = arm(started + ms);
    // The operation may still settle after we stopped waiting; its outcome then no longer matters.
    promise.then(
      (value) => finish(() => resolve(value)),
      (err: unknown) => finish(() => reject(err)),
    );
  });
}

export const LAG_ALLOWANCE = 10;
