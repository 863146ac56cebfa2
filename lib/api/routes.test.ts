// Keeps the route table (lib/api/routes.ts) equal to the route files under app/: every route file is in the table
// with exactly the methods it exports, so the proxy never lets an unlisted route through or refuses a real one.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { API_ROUTES, isApiPath, matchApiRoute } from './routes.ts';

function routeFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return routeFiles(full);
    return entry.name === 'route.ts' ? [full] : [];
  });
}

test('every app route file is in the table, with the methods it exports', () => {
  const app = path.resolve('app');
  const fromFiles = routeFiles(app)
    .map((file) => {
      const route = `/${path.relative(app, path.dirname(file)).split(path.sep).join('/')}`.replace(/\[(\w+)\]/g, ':$1');
      const source = fs.readFileSync(file, 'utf8');
      const methods = [...source.matchAll(/export (?:const (GET|POST|DELETE|PUT|PATCH)\b|\{ (GET|POST|DELETE|PUT|PATCH) \})/g)]
        .map((match) => match[1] ?? match[2])
        .sort();
      return `${route} ${methods.join(',')}`;
    })
    .sort();
  const fromTable = API_ROUTES.map((route) => `${route.path} ${[...route.methods].sort().join(',')}`).sort();
  assert.deepEqual(fromTable, fromFiles);
});

test('matching works on raw paths: an encoded slash stays inside one segment', () => {
  assert.equal(matchApiRoute('/api/results/..%2F..%2Fstudio.db/image.png')?.path, '/api/results/:id/image.png');
  assert.equal(matchApiRoute('/api/results/abc/'), matchApiRoute('/api/results/abc'));
  assert.equal(matchApiRoute('/api/results//image.png'), undefined);
  assert.equal(matchApiRoute('/api/results/a/b/image.png'), undefined);
  assert.equal(isApiPath('/api'), true);
  assert.equal(isApiPath('/apix'), false);
});
