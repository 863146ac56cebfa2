// What this machine can run: the GPU as nvidia-smi reports it, whether onnxruntime's CUDA provider is installed,
// and from those the precisions available, each refusal with its reason and fix. The downgrade traps live here:
// bf16 needs CUDA, compute capability ≥ 8.0 and a driver ≥ 525 — otherwise a clear refusal, never a quiet switch.
// The probe is injectable so that every trap is tested without the hardware.
import { execFileSync } from 'node:child_process';
import { EngineError } from '../errors.ts';
import type { ExecutionProvider, Precision, SystemInfo } from '../pipeline/types.ts';
import { cudaProviderInstalled } from './onnx-runtime.ts';

export interface Probe {
  /** The first GPU, or undefined without an NVIDIA driver. */
  gpu(): SystemInfo['gpu'] | undefined;
  cudaProvider(): boolean;
}

export const realProbe: Probe = {
  gpu() {
    try {
      const q = execFileSync('nvidia-smi', ['--query-gpu=name,memory.total,driver_version,compute_cap', '--format=csv,noheader,nounits'], { encoding: 'utf8', timeout: 5000 });
      const [name, mem, driver, cc] = q.trim().split('\n')[0].split(',').map((s) => s.trim());
      const banner = execFileSync('nvidia-smi', { encoding: 'utf8', timeout: 5000 });
      const cuda = banner.match(/CUDA Version:\s*([\d.]+)/)?.[1] ?? 'unknown';
      return { name, memoryTotalMiB: Number(mem), driver, cuda, computeCapability: cc };
    } catch {
      return undefined;
    }
  },
  cudaProvider: cudaProviderInstalled,
};

export function capabilities(probe: Probe = realProbe): Pick<SystemInfo, 'eps' | 'precisions' | 'gpu'> {
  const gpu = probe.gpu();
  const cuda = Boolean(gpu) && probe.cudaProvider();
  const cc = gpu ? Number(gpu.computeCapability) : 0;
  const driverMajor = gpu ? Number(gpu.driver.split('.')[0]) : 0;
  const noCuda = !gpu ? 'no NVIDIA GPU found (nvidia-smi did not run)' : 'the CUDA execution provider is not installed: run npm run setup:gpu';
  const bf16Reason = !cuda ? `bf16 runs on the GPU only: ${noCuda}`
    : cc < 8 ? `bf16 needs compute capability ≥ 8.0 (Ampere or newer); ${gpu!.name} has ${gpu!.computeCapability}: use fp16-safe or fp32`
    : driverMajor < 525 ? `bf16 needs NVIDIA driver ≥ 525; this one is ${gpu!.driver}: update the driver`
    : undefined;
  const fp16Reason = cuda ? undefined : `fp16 runs on the GPU only: ${noCuda}`;
  return {
    gpu,
    eps: cuda ? ['cpu', 'cuda'] : ['cpu'],
    precisions: [
      { precision: 'bf16', available: !bf16Reason, reason: bf16Reason },
      { precision: 'fp16', available: !fp16Reason, reason: fp16Reason },
      { precision: 'fp16-safe', available: !fp16Reason, reason: fp16Reason },
      { precision: 'fp32', available: true },
    ],
  };
}

/** Refuses a precision/EP pair this machine cannot run, with the reason and the fix. */
export function assertRunnable(precision: Precision, ep: ExecutionProvider, caps = capabilities()): void {
  if (precision !== 'fp32' && ep === 'cpu') {
    throw new EngineError('precision-needs-gpu', `${precision} runs only on the CUDA execution provider, not on the CPU`, {
      hint: 'use --ep cuda on an NVIDIA GPU, or the fp32 conversion on the CPU',
    });
  }
  const p = caps.precisions.find((x) => x.precision === precision)!;
  if (!p.available) throw new EngineError('precision-unavailable', `${precision} cannot run here: ${p.reason}`, { hint: p.reason });
  if (ep === 'cuda' && !caps.eps.includes('cuda')) {
    throw new EngineError('cuda-unavailable', 'the CUDA execution provider is not available here', { hint: 'run npm run setup:gpu' });
  }
}
