// GPU memory of this process, sampled through nvidia-smi while a generation runs: peak, after the run, and the
// card's total. When the process is not visible to nvidia-smi (containers with their own pid namespace), the
// device-wide used memory is reported instead, and the scope says so. With no NVIDIA GPU there is nothing to
// sample: the caller shows "CPU". It deliberately does not link NVML: nvidia-smi ships with every driver.
import { execFile } from 'node:child_process';

export interface VramReport {
  peakMiB: number;
  afterMiB: number;
  totalMiB: number;
  /** 'process': this process's memory; 'device': the whole GPU's (the process was not visible). */
  scope: 'process' | 'device';
  samples: number;
}

function smi(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile('nvidia-smi', args, { timeout: 5000 }, (err, out) => (err ? reject(err) : resolve(out))));
}

/** One reading: this process's MiB on the GPU if listed, else the device's used MiB. */
export async function readVram(pid = process.pid, deviceId = 0): Promise<{ usedMiB: number; totalMiB: number; scope: 'process' | 'device' }> {
  const [apps, dev] = await Promise.all([
    smi(['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits', `--id=${deviceId}`]),
    smi(['--query-gpu=memory.used,memory.total', '--format=csv,noheader,nounits', `--id=${deviceId}`]),
  ]);
  const [used, total] = dev.trim().split(',').map((s) => Number(s.trim()));
  const mine = apps.trim().split('\n').map((l) => l.split(',').map((s) => s.trim())).find(([p]) => Number(p) === pid);
  return mine ? { usedMiB: Number(mine[1]), totalMiB: total, scope: 'process' } : { usedMiB: used, totalMiB: total, scope: 'device' };
}

/** Samples every `intervalMs` until stop(); stop() takes one last reading ("after the run"). */
export class VramSampler {
  private peak = 0;
  private total = 0;
  private scope: 'process' | 'device' = 'process';
  private samples = 0;
  private timer?: NodeJS.Timeout;
  private pending?: Promise<void>;
  private result?: Promise<VramReport | undefined>;

  constructor(private readonly deviceId = 0, private readonly intervalMs = 200) {}

  private async sample(): Promise<number> {
    const r = await readVram(process.pid, this.deviceId);
    this.peak = Math.max(this.peak, r.usedMiB);
    this.total = r.totalMiB;
    this.scope = r.scope;
    this.samples++;
    return r.usedMiB;
  }

  start(): this {
    const tick = () => {
      this.pending = this.sample().then(() => undefined, () => undefined);
      this.timer = setTimeout(tick, this.intervalMs);
    };
    tick();
    return this;
  }

  /** Idempotent: later calls return the first report. */
  stop(): Promise<VramReport | undefined> {
    this.result ??= (async () => {
      clearTimeout(this.timer);
      await this.pending;
      try {
        const after = await this.sample();
        return { peakMiB: this.peak, afterMiB: after, totalMiB: this.total, scope: this.scope, samples: this.samples };
      } catch {
        return undefined; // nvidia-smi vanished mid-run: no report rather than a wrong one
      }
    })();
    return this.result;
  }
}
