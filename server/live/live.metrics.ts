import { Counter, Gauge, type Registry } from 'prom-client';

export interface LiveMetrics {
  /** Event streams open on this instance. */
  streams: Gauge;
  /** Streams closed by the server because their client read too slowly (its unsent bytes passed LIVE_BUFFER_BYTES). */
  dropped: Counter;
  /** Events written to streams, by name. */
  events: Counter<'event'>;
  /** Change batches whose publication failed part-way (streams recover by `reset`). */
  publishFailures: Counter;
  /** Times this instance found events missing (a gap in the sequence, a lost subscription) and reset its streams. */
  gaps: Counter;
}

export function createLiveMetrics(registry: Registry): LiveMetrics {
  const registers = [registry];
  return {
    streams: new Gauge({ name: 'crewplots_live_streams', help: 'Event streams open on this instance', registers }),
    dropped: new Counter({ name: 'crewplots_live_dropped_total', help: 'Event streams dropped because the client read too slowly', registers }),
    events: new Counter({ name: 'crewplots_live_events_total', help: 'Events written to event streams', labelNames: ['event'] as const, registers }),
    publishFailures: new Counter({ name: 'crewplots_live_publish_failures_total', help: 'Change batches whose live publication failed', registers }),
    gaps: new Counter({ name: 'crewplots_live_gaps_total', help: 'Missed events detected by this instance (its streams were told to reset)', registers }),
  };
}
