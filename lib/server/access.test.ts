// Tests the access decision (loopback or exposed, token or not), the listen address read from the Next CLI's
// arguments, the credential checks (Bearer, Basic, session cookie) and the sign-in redirect target.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accessPolicy, isAuthorized, isLoopbackHost, listenHost, safeNextPath, sessionValue } from './access.ts';

const TOKEN = '0123456789abcdef0123';
const env = (extra: Record<string, unknown> = {}) => ({ HOST: '127.0.0.1', ZIMAGE_ALLOW_OPEN: false, ...extra });

describe('isLoopbackHost', () => {
  test('knows the loopback spellings', () => {
    for (const host of ['localhost', 'studio.localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) {
      assert.equal(isLoopbackHost(host), true, host);
    }
  });

  test('everything else is reachable from elsewhere', () => {
    for (const host of ['0.0.0.0', '::', '[::]', '192.168.1.10', 'studio.example', '::ffff:10.0.0.1', '128.0.0.1', 'localhost.evil.com']) {
      assert.equal(isLoopbackHost(host), false, host);
    }
  });
});

describe('listenHost', () => {
  test('reads -H / --hostname from `next start` and `next dev`', () => {
    assert.equal(listenHost(['node', '/p/node_modules/.bin/next', 'start', '-H', '0.0.0.0', '-p', '3000']), '0.0.0.0');
    assert.equal(listenHost(['node', '/p/node_modules/next/dist/bin/next', 'dev', '--hostname=::1']), '::1');
  });

  test('no -H means every interface, as Next listens by default', () => {
    assert.equal(listenHost(['node', '/p/node_modules/.bin/next', 'start', '-p', '3000']), '::');
  });

  test('another program leaves the decision to HOST', () => {
    assert.equal(listenHost(['node', '/p/server.js'], {}), undefined);
  });

  test("Next's standalone server.js listens on HOSTNAME, every interface without it", () => {
    assert.equal(listenHost(['node', '/p/server.js'], { config: '{}', hostname: '127.0.0.1' }), '127.0.0.1');
    assert.equal(listenHost(['node', '/p/server.js'], { config: '{}' }), '0.0.0.0');
  });
});

describe('accessPolicy', () => {
  test('loopback without a token is local', () => {
    assert.deepEqual(accessPolicy(env(), '127.0.0.1'), { mode: 'local' });
  });

  test('a token is required whenever one is set', () => {
    assert.deepEqual(accessPolicy(env({ ZIMAGE_API_TOKEN: TOKEN }), '127.0.0.1'), { mode: 'token', token: TOKEN });
    assert.equal(accessPolicy(env({ ZIMAGE_API_TOKEN: TOKEN }), '0.0.0.0').mode, 'token');
  });

  test('an exposed studio without a token refuses to start and says how to fix it', () => {
    assert.throws(() => accessPolicy(env(), '0.0.0.0'), /every interface \(0\.0\.0\.0\).*ZIMAGE_API_TOKEN.*HOST=127\.0\.0\.1.*ZIMAGE_ALLOW_OPEN=1/);
    assert.throws(() => accessPolicy(env({ HOST: '192.168.1.5' }), undefined), /listens on 192\.168\.1\.5/);
    assert.throws(() => accessPolicy(env({ PUBLIC_URL: 'https://studio.example' }), '127.0.0.1'), /PUBLIC_URL is https:\/\/studio\.example/);
  });

  test('the argument the server really listens on wins over HOST', () => {
    assert.throws(() => accessPolicy(env({ HOST: '127.0.0.1' }), '::'), /every interface/);
  });

  test('ZIMAGE_ALLOW_OPEN=1 opens it, with the reason kept for the warning', () => {
    assert.deepEqual(accessPolicy(env({ ZIMAGE_ALLOW_OPEN: true }), '0.0.0.0'), { mode: 'open', exposure: 'it listens on every interface (0.0.0.0)' });
  });
});

describe('isAuthorized', () => {
  const access = { mode: 'token', token: TOKEN } as const;

  test('local and open studios need no credentials', () => {
    assert.equal(isAuthorized({ mode: 'local' }, null, undefined), true);
    assert.equal(isAuthorized({ mode: 'open', exposure: 'x' }, null, undefined), true);
  });

  test('Bearer token, Basic password and the session cookie are accepted', () => {
    assert.equal(isAuthorized(access, `Bearer ${TOKEN}`, undefined), true);
    assert.equal(isAuthorized(access, `Basic ${Buffer.from(`any:${TOKEN}`).toString('base64')}`, undefined), true);
    assert.equal(isAuthorized(access, null, sessionValue(TOKEN)), true);
  });

  test('anything else is refused', () => {
    for (const header of [null, '', 'Bearer', `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Basic ${Buffer.from(TOKEN).toString('base64')}`, `Token ${TOKEN}`, 'Basic !!!']) {
      assert.equal(isAuthorized(access, header, undefined), false, String(header));
    }
    assert.equal(isAuthorized(access, null, TOKEN), false, 'the cookie holds an HMAC, not the token');
    assert.equal(isAuthorized(access, null, sessionValue('another-token-of-16+')), false);
  });
});

describe('safeNextPath', () => {
  test('keeps paths on this site', () => {
    assert.equal(safeNextPath('/'), '/');
    assert.equal(safeNextPath('/r/abc?x=1#y'), '/r/abc?x=1#y');
  });

  test('anything that could leave the site becomes /', () => {
    for (const next of ['//evil.example', '/\\evil.example', 'https://evil.example', 'javascript:alert(1)', '', undefined, ['/'], '/a b', `/${'a'.repeat(3000)}`]) {
      assert.equal(safeNextPath(next), '/', String(next));
    }
  });
});
