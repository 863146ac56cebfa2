// Tests the per-client token bucket (burst, refill, Retry-After seconds, bounded memory), the event-stream gate
// (per client, in total, release once) and the client key taken from x-forwarded-for.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clientKey, RateLimiter, StreamGate } from './limits.ts';

describe('RateLimiter', () => {
  test('allows a burst of perMinute, then says how long to wait, then refills', () => {
    let now = 0;
    const limiter = new RateLimiter(6, 100, () => now);
    for (let index = 0; index < 6; index++) assert.equal(limiter.take('a'), 0);
    assert.equal(limiter.take('a'), 10, 'one request per 10 s at 6 per minute');
    assert.equal(limiter.take('b'), 0, 'another client has its own bucket');
    now += 10_000;
    assert.equal(limiter.take('a'), 0);
    assert.ok(limiter.take('a') > 0);
  });

  test('refusals do not dig the bucket deeper', () => {
    let now = 0;
    const limiter = new RateLimiter(60, 100, () => now);
    for (let index = 0; index < 60; index++) limiter.take('a');
    for (let index = 0; index < 100; index++) assert.equal(limiter.take('a'), 1);
    now += 1000;
    assert.equal(limiter.take('a'), 0);
  });

  test('holds at most maxClients buckets, dropping the least recently seen', () => {
    let now = 0;
    const limiter = new RateLimiter(1, 3, () => now);
    for (const key of ['a', 'b', 'c']) limiter.take(key);
    limiter.take('a'); // refused, but now the most recent
    limiter.take('d'); // evicts b
    assert.equal(limiter.take('a'), 60, 'a kept its empty bucket');
    assert.equal(limiter.take('b'), 0, 'b was forgotten and starts full');
    assert.equal((limiter as unknown as { buckets: Map<string, unknown> }).buckets.size, 3);
  });
});

describe('StreamGate', () => {
  test('refuses past the per-client and the total limit, and releases each place once', () => {
    const gate = new StreamGate(3, 2);
    const a1 = gate.enter('a');
    const a2 = gate.enter('a');
    assert.deepEqual(gate.enter('a'), { refused: 'client' });
    const b1 = gate.enter('b');
    assert.deepEqual(gate.enter('c'), { refused: 'total' });
    assert.ok('release' in a1 && 'release' in a2 && 'release' in b1);
    a1.release();
    a1.release();
    assert.equal(gate.size, 2, 'a second release of the same place changes nothing');
    assert.ok('release' in gate.enter('c'));
  });
});

describe('clientKey', () => {
  test('takes the first x-forwarded-for address, IPv4-mapped addresses unwrapped', () => {
    assert.equal(clientKey(new Headers({ 'x-forwarded-for': '::ffff:127.0.0.1' })), '127.0.0.1');
    assert.equal(clientKey(new Headers({ 'x-forwarded-for': '10.0.0.2, 127.0.0.1' })), '10.0.0.2');
    assert.equal(clientKey(new Headers({ 'x-forwarded-for': '::1' })), '::1');
    assert.equal(clientKey(new Headers()), 'unknown');
    assert.equal(clientKey(new Headers({ 'x-forwarded-for': 'x'.repeat(500) })).length, 64);
  });
});
