// Tests the client address the per-client limits key on: the TCP peer unless it is a trusted proxy, then the
// right-most X-Forwarded-For hop the trusted proxies did not add; forged hops left of it change nothing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { getEnv } from '../env.ts';
import { clientAddress, parseProxyEntry, trustedProxies } from './client-address.ts';

describe('client address', () => {
  const none = trustedProxies([]);
  const proxies = trustedProxies(['127.0.0.1', '10.0.0.0/8', '::1']);

  test('without trusted proxies the peer is the client, whatever X-Forwarded-For says', () => {
    assert.equal(clientAddress('203.0.113.9', '1.2.3.4', none), '203.0.113.9');
    assert.equal(clientAddress('::ffff:127.0.0.1', '1.2.3.4, 5.6.7.8', none), '127.0.0.1');
    assert.equal(clientAddress('127.0.0.1', undefined, proxies), '127.0.0.1', 'a trusted peer without the header');
    assert.equal(clientAddress(undefined, '1.2.3.4', none), 'unknown');
  });

  test('a peer that is not a trusted proxy is the client even when others are trusted', () => {
    assert.equal(clientAddress('198.51.100.1', '10.0.0.1', proxies), '198.51.100.1');
  });

  test('behind trusted proxies: the right-most untrusted hop, forged hops to its left ignored', () => {
    assert.equal(clientAddress('127.0.0.1', '6.6.6.6, 203.0.113.7', proxies), '203.0.113.7');
    assert.equal(clientAddress('::ffff:127.0.0.1', ['6.6.6.6, 203.0.113.7', '10.1.2.3'], proxies), '203.0.113.7', 'repeated headers joined');
    assert.equal(clientAddress('::1', '6.6.6.6,203.0.113.7 , 10.0.0.5,10.9.9.9', proxies), '203.0.113.7');
    assert.equal(clientAddress('127.0.0.1', '[2001:db8::1], ::ffff:10.0.0.5', proxies), '2001:db8::1');
    assert.equal(clientAddress('127.0.0.1', '10.0.0.2, 10.0.0.3', proxies), '10.0.0.2', 'only proxies: the left-most');
    assert.equal(clientAddress('127.0.0.1', 'unknown', proxies), 'unknown');
    assert.equal(clientAddress('127.0.0.1', 'x'.repeat(500), proxies).length, 64);
  });

  const env = (vars: Record<string, string>) => getEnv(vars as NodeJS.ProcessEnv);

  test('ZIMAGE_TRUSTED_PROXIES takes addresses and CIDR ranges and names a bad entry', () => {
    assert.deepEqual(env({ ZIMAGE_TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8 fd00::/8' }).ZIMAGE_TRUSTED_PROXIES, ['127.0.0.1', '10.0.0.0/8', 'fd00::/8']);
    assert.deepEqual(env({}).ZIMAGE_TRUSTED_PROXIES, []);
    assert.throws(() => env({ ZIMAGE_TRUSTED_PROXIES: '10.0.0.0/33' }), /ZIMAGE_TRUSTED_PROXIES.*prefix outside 0–32/);
    assert.throws(() => env({ ZIMAGE_TRUSTED_PROXIES: 'proxy.local' }), /"proxy.local" is not an IP address/);
    assert.ok(parseProxyEntry('::1/129') instanceof Error);
    assert.ok(parseProxyEntry('1.2.3.4/8/1') instanceof Error);
  });
});
