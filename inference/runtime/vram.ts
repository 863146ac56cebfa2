// GPU memory of this process, read from one long-running `nvidia-smi … -lms 200` per device (started when a CUDA
// pipeline loads, not per reading): a generation's peak, the latest reading after it, and the card's total; the
// device's free memory for the low-VRAM decisions. Measured on the H200: forking nvidia-smi every 200 ms from a
// process holding a 13 GB model stalled its main thread (a 15 ms DiT step took 40 ms, the PNG 430 ms), so no
// reading forks during a generation. When the process is not visible to nvidia-smi (containers with their own pid
// namespace), the device-wide used memory is reported and the scope says so. It deliberately does not link NVML:
// nvidia-smi ships with every driver.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import readline from 'node:readline';

export interface VramReport {
  peakMiB: number;
  afterMiB: number;
  totalMiB: number;
  /** 'process': this process's memory; 'device': the whole GPU's (the process was not visible). */
  scope: 'process' | 'device';
  samples: number;
}

const INTERVAL_MS = 200;
/** A reading of this process older than this means nvidia-smi no longer lists it (or never did). */
const OWN_STALE_MS = 3 * INTERVAL_MS + 500;

type Listener = (usedMiB: number, scope: 'process' | 'device') => void;

/** One device's memory, updated by two looping nvidia-smi children (device totals, and per-process usage). */
export class GpuMonitor {
  private static monitors = new Map<number, GpuMonitor>();
  private children: ChildProcess[] = [];
  private listeners = new Set<Listener>();
  private users = 0;
  device?: { usedMiB: number; freeMiB: number; totalMiB: number; at: number };
  own?: { usedMiB: number; at: number };

  private constructor(readonly deviceId: number) {}

  /** The shared monitor of a device, started on first use; release() when done (the last release stops it). */
  static acquire(deviceId = 0): GpuMonitor {
    let m = GpuMonitor.monitors.get(deviceId);
    if (!m) {
      if (!GpuMonitor.monitors.size) process.once('exit', () => { for (const mon of GpuMonitor.monitors.values()) mon.stop(); });
      m = new GpuMonitor(deviceId);
      m.start();
      GpuMonitor.monitors.set(deviceId, m);
    }
    m.users++;
    return m;
  }

  release(): void {
    if (--this.users > 0) return;
    this.stop();
    GpuMonitor.monitors.delete(this.deviceId);
  }

  private stop() {
    for (const c of this.children) c.kill();
    this.children = [];
  }

  private start() {
    // nvidia-smi block-buffers a pipe; stdbuf (coreutils) makes it hand over each line as it is printed.
    const loop = (query: string, onLine: (fields: number[]) => void) => {
      const args = [query, '--format=csv,noheader,nounits', `--id=${this.deviceId}`, `-lms`, String(INTERVAL_MS)];
      const child = fs.existsSync('/usr/bin/stdbuf') ? spawn('/usr/bin/stdbuf', ['-oL', 'nvidia-smi', ...args], { stdio: ['ignore', 'pipe', 'ignore'] })
        : spawn('nvidia-smi', args, { stdio: ['ignore', 'pipe', 'ignore'] });
      child.on('error', () => {}); // no nvidia-smi: no readings, the callers report none
      child.unref();
      (child.stdout as NodeJS.ReadableStream & { unref?: () => void }).unref?.();
      readline.createInterface({ input: child.stdout! }).on('line', (line) => {
        const fields = line.split(',').map((s) => Number(s.trim()));
        if (fields.every(Number.isFinite)) onLine(fields);
      });
      this.children.push(child);
    };
    loop('--query-gpu=memory.used,memory.free,memory.total', ([usedMiB, freeMiB, totalMiB]) => {
      this.device = { usedMiB, freeMiB, totalMiB, at: Date.now() };
      this.emit(usedMiB, 'device');
    });
    loop('--query-compute-apps=pid,used_memory', ([pid, usedMiB]) => {
      if (pid !== process.pid) return;
      this.own = { usedMiB, at: Date.now() };
      this.emit(usedMiB, 'process');
    });
  }

  private ownFresh(): boolean {
    return Boolean(this.own && Date.now() - this.own.at < OWN_STALE_MS);
  }

  private emit(usedMiB: number, scope: 'process' | 'device') {
    for (const l of this.listeners) l(usedMiB, scope);
  }

  get scope(): 'process' | 'device' {
    return this.ownFresh() ? 'process' : 'device';
  }

  /** The latest reading in the current scope, if any. */
  latestMiB(): number | undefined {
    return this.ownFresh() ? this.own!.usedMiB : this.device?.usedMiB;
  }

  /** The device's free bytes from a reading at most a few seconds old, else undefined. */
  freeBytes(): number | undefined {
    return this.device && Date.now() - this.device.at < 5000 ? this.device.freeMiB * 2 ** 20 : undefined;
  }

  on(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

/**
 * A generation's VRAM: the peak of the monitor's readings between start() and stop(), and the latest after. Peaks
 * are kept per scope, so a device-wide reading never counts as this process's.
 */
export class VramSampler {
  private peak = { process: 0, device: 0 };
  private samples = { process: 0, device: 0 };
  private off?: () => void;
  private result?: Promise<VramReport | undefined>;

  constructor(private readonly monitor: GpuMonitor) {}

  start(): this {
    const now = this.monitor.latestMiB();
    if (now !== undefined) this.record(now, this.monitor.scope);
    this.off = this.monitor.on((mib, scope) => this.record(mib, scope));
    return this;
  }

  private record(mib: number, scope: 'process' | 'device') {
    this.peak[scope] = Math.max(this.peak[scope], mib);
    this.samples[scope]++;
  }

  /** Idempotent. Waits (≤ 1 s) only when no reading has come in yet, e.g. right after the monitor started. */
  stop(): Promise<VramReport | undefined> {
    this.result ??= (async () => {
      for (let waited = 0; this.monitor.latestMiB() === undefined && waited < 1000; waited += 50) await new Promise((r) => setTimeout(r, 50));
      this.off?.();
      const after = this.monitor.latestMiB();
      const total = this.monitor.device?.totalMiB;
      if (after === undefined || total === undefined) return undefined; // no nvidia-smi readings: no report rather than a wrong one
      const scope = this.monitor.scope;
      this.record(after, scope);
      return { peakMiB: this.peak[scope], afterMiB: after, totalMiB: total, scope, samples: this.samples[scope] };
    })();
    return this.result;
  }
}
