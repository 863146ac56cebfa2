// The GPU monitor against a stand-in nvidia-smi on PATH (a shell script printing what the real one prints in loop
// mode): readings stream in without a process per reading, a generation's peak and the scope come out right.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { GpuMonitor, VramSampler } from './vram.ts';

function fakeSmi(ownPid: number | undefined): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-smi-'));
  // per-process usage climbs 100 → 400 MiB then stays; the device reports 1000 used of 8000.
  const apps = ownPid === undefined ? 'echo "999999, 50"' : `echo "${ownPid}, $u"; echo "999999, 50"`;
  fs.writeFileSync(path.join(dir, 'nvidia-smi'), `#!/bin/sh
u=100
case "$1" in
  --query-gpu=*) while true; do echo "1000, 7000, 8000"; sleep 0.05; done ;;
  *) while true; do ${apps}; [ $u -lt 400 ] && u=$((u+100)); sleep 0.05; done ;;
esac
`, { mode: 0o755 });
  return dir;
}

async function withPath<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const old = process.env.PATH;
  process.env.PATH = `${dir}:${old}`;
  try { return await fn(); } finally { process.env.PATH = old; }
}

test('a generation sees its peak and the process scope from one looping nvidia-smi', async () => {
  await withPath(fakeSmi(process.pid), async () => {
    const m = GpuMonitor.acquire(7);
    try {
      const s = new VramSampler(m).start();
      await new Promise((r) => setTimeout(r, 600));
      const report = await s.stop();
      assert.ok(report, 'a report');
      assert.equal(report.scope, 'process');
      assert.equal(report.peakMiB, 400);
      assert.equal(report.totalMiB, 8000);
      assert.ok(report.samples >= 3, `samples: ${report.samples}`);
      assert.equal(m.freeBytes(), 7000 * 2 ** 20);
    } finally {
      m.release();
    }
  });
});

test('a process nvidia-smi does not list gets the device-wide figure, labelled as such', async () => {
  await withPath(fakeSmi(undefined), async () => {
    const m = GpuMonitor.acquire(8);
    try {
      const report = await new VramSampler(m).start().stop();
      assert.ok(report);
      assert.equal(report.scope, 'device');
      assert.equal(report.peakMiB, 1000);
    } finally {
      m.release();
    }
  });
});

test('no nvidia-smi: no report rather than a wrong one', async () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'no-smi-'));
  const old = process.env.PATH;
  process.env.PATH = empty;
  try {
    const m = GpuMonitor.acquire(9);
    assert.equal(await new VramSampler(m).start().stop(), undefined);
    m.release();
  } finally {
    process.env.PATH = old;
  }
});
