// package.json's `bin` entry runs on plain Node (no --import tsx, as `npx zimage` starts it), also through a symlink
// as npm installs it into node_modules/.bin, and runs the command exactly once.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

const root = path.join(import.meta.dirname, '../..');
const bin = path.join(root, JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).bin.zimage);

test('the bin entry is JavaScript that plain node runs: --help prints the usage once, exit 0', () => {
  assert.match(bin, /\.m?js$/);
  const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8', cwd: os.tmpdir() });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.match(/usage: zimage/g)?.length, 1);
});

test('through a node_modules/.bin-style symlink, a command runs once and a bad one exits 2', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zimage-bin-'));
  const link = path.join(dir, 'zimage');
  fs.symlinkSync(bin, link);
  const out = path.join(dir, 'tiny');
  const r = spawnSync(process.execPath, [link, 'tiny', '--out', out], { encoding: 'utf8', cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.match(/tiny checkpoint written/g)?.length, 1);
  assert.ok(fs.existsSync(path.join(out, 'transformer')));
  const bad = spawnSync(process.execPath, [link, 'bogus'], { encoding: 'utf8', cwd: dir });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown command bogus/);
});
