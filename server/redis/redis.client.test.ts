import { describe, expect, it } from '@jest/globals';
import { isRedisUnavailable } from './redis.client.js';
import { onlineReplicas } from './replicas.js';

describe('isRedisUnavailable', () => {
  it.each([
    'READONLY You can\'t write against a read only replica.',
    'MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to \'no\'.',
    'CLUSTERDOWN The cluster is down',
    'TRYAGAIN Multiple keys request during rehashing of slot',
    'MOVED 10562 127.0.0.1:6412',
    'ASK 10562 127.0.0.1:6412',
    'Too many Cluster redirections. Last error: MOVED 10562 127.0.0.1:6412',
    'Failed to refresh slots cache.',
    'None of startup nodes is available',
    'All sentinels are unreachable. Retrying from scratch after 10ms.',
    'the write has not reached the replicas within 200 ms',
  ])('reads "%s" as a Redis outage (503), not a bug (500)', (message) => {
    expect(isRedisUnavailable(new Error(message))).toBe(true);
  });

  it('leaves errors of our own making alone', () => {
    expect(isRedisUnavailable(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
    expect(isRedisUnavailable(new Error('ERR syntax error'))).toBe(false);
    expect(isRedisUnavailable(new Error('All keys in the pipeline should belong to the same slots allocation group'))).toBe(false);
  });
});

describe('onlineReplicas', () => {
  it('counts replicas that are online, on a master only', () => {
    const master = 'role:master\nconnected_slaves:2\nslave0:ip=127.0.0.1,port=7001,state=online,offset=10,lag=0\nslave1:ip=127.0.0.1,port=7002,state=wait_bgsave,offset=0,lag=0\n';
    expect(onlineReplicas(master)).toBe(1);
    expect(onlineReplicas('role:master\nconnected_slaves:0\n')).toBe(0);
    expect(onlineReplicas('role:slave\nmaster_host:127.0.0.1\nslave0:ip=x,port=1,state=online\n')).toBe(0);
  });
});
