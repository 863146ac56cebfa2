// The converter: checkpoints (a diffusers folder, or DiT / text-encoder / VAE files given separately as ComfyUI
// users have them) → one ONNX graph per component in the requested precision, plus manifest.json. Output goes to
// `<out>/<precision>/` through a temporary folder renamed at the end, so a crash never leaves a model that looks
// complete. Every expected tensor is checked (key and shape); unused ones are listed in the manifest.
// It deliberately converts no quantized formats (FP8, GGUF) and writes no PyTorch files.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { EngineError } from './errors.ts';
import { Graph } from './onnx/graph.ts';
import { BuildContext, DEFAULT_GRAPH_OPTIONS, precisionPlan, type GraphOptions, type KeyTable } from './models/blocks.ts';
import { buildDit, detectDitConfig, ditKeyTable, ditParameterCount, type DitConfig } from './models/z-image-dit.ts';
import { buildQwen3, detectQwen3Config, qwen3KeyTable, qwen3ParameterCount, type Qwen3Config } from './models/qwen3-encoder.ts';
import { buildVaeDecoder, detectVaeConfig, VAE_OPSET, vaeDecoderParameterCount, vaeKeyTable, type VaeConfig } from './models/flux-vae.ts';
import { Checkpoint } from './safetensors.ts';
import { PRECISIONS, type ComponentName, type Precision } from './pipeline/types.ts';

export const MANIFEST_FORMAT = 'zimage-onnx/1';
export const COMPONENTS: ComponentName[] = ['te', 'dit', 'vae'];

export interface ComponentManifest {
  file: string;
  precision: Precision;
  /** ONNX dtype of the weights of the heavy work (bf16, fp16, fp32). */
  weightDtype: string;
  /** Why this precision was built. */
  reason: string;
  /** Parts deliberately kept in fp32, by name. */
  fp32Islands: string[];
  config: DitConfig | Qwen3Config | VaeConfig;
  parameters: number;
  source: { layout: string; files: { path: string; bytes: number; sha256: string }[] };
  tensors: { initializers: number; sourceTensors: number; unused: string[]; ignored: number };
  opTypes: string[];
  weightBytes: number;
  /** The graph formulations built (absent in manifests written before they existed: the spelled-out forms). */
  graph?: GraphOptions;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  name: string;
  precision: Precision;
  tiny: boolean;
  createdAt: string;
  tokenizer?: string;
  components: Partial<Record<ComponentName, ComponentManifest>>;
}

export interface ConvertOptions {
  /** A diffusers folder, or one or more component files/folders. */
  sources: string[];
  out: string;
  precision: Precision;
  components?: ComponentName[];
  name?: string;
  tiny?: boolean;
  /** Graph formulations (defaults: all on); the benchmark switches them off one at a time. */
  graph?: GraphOptions;
  log?: (line: string) => void;
}

interface ComponentSource {
  ckpt: Checkpoint;
  configJson?: string;
  layout: string;
}

/** The fp32 parts of a component; with the RotaryEmbedding op, only the DiT's RoPE tables stay fp32, not the rotation. */
function islands(name: ComponentName, graph: GraphOptions): string[] {
  if (name !== 'dit' || !graph.ropeOp) return ISLANDS[name];
  return ISLANDS.dit.map((part) => (part === 'RoPE tables and rotation' ? 'RoPE tables (computed in fp32)' : part));
}

const ISLANDS: Record<ComponentName, string[]> = {
  dit: ['timestep sinusoid (t_embedder input)', 'RoPE tables and rotation', 'RMSNorm statistics (stash_type 1)', 'latents in and velocity out'],
  te: ['RoPE tables and rotation', 'RMSNorm statistics (stash_type 1)', 'features out'],
  vae: ['latent un-scaling (z/scale + shift)', 'GroupNorm statistics (stash_type 1)', 'image out'],
};

/** Finds each component among the sources: a diffusers folder has transformer/, text_encoder/, vae/. */
export function locateComponents(sources: string[]): { found: Partial<Record<ComponentName, ComponentSource>>; tokenizer?: string } {
  const found: Partial<Record<ComponentName, ComponentSource>> = {};
  let tokenizer: string | undefined;
  const claim = (name: ComponentName, src: ComponentSource) => {
    if (found[name]) {
      throw new EngineError('convert-duplicate-component', `two sources hold a ${name.toUpperCase()}: ${found[name]!.ckpt.files[0]} and ${src.ckpt.files[0]}`, { hint: 'pass each component once' });
    }
    found[name] = src;
  };
  for (const src of sources) {
    if (!fs.existsSync(src)) throw new EngineError('convert-source-missing', `source ${src} does not exist`, { hint: 'pass a diffusers folder or .safetensors files' });
    const sub = (d: string) => path.join(src, d);
    if (fs.statSync(src).isDirectory() && ['transformer', 'text_encoder', 'vae'].some((d) => fs.existsSync(sub(d)))) {
      const dirs: [ComponentName, string][] = [['dit', 'transformer'], ['te', 'text_encoder'], ['vae', 'vae']];
      for (const [name, d] of dirs) {
        if (fs.existsSync(sub(d))) claim(name, { ckpt: Checkpoint.open(sub(d)), configJson: path.join(sub(d), 'config.json'), layout: `diffusers ${d}/` });
      }
      if (fs.existsSync(sub('tokenizer/tokenizer.json'))) tokenizer = sub('tokenizer/tokenizer.json');
      continue;
    }
    const ckpt = Checkpoint.open(src);
    const keys = ckpt.keys();
    const name = classify(keys);
    if (!name) {
      throw new EngineError('convert-unknown-file', `${src} is not a Z-Image DiT, Qwen3 text encoder or FLUX VAE (first keys: ${keys.slice(0, 3).join(', ')})`, {
        hint: 'merged "AIO" checkpoints are not supported: pass the DiT, text encoder and VAE files separately',
      });
    }
    const configJson = fs.statSync(src).isDirectory() ? path.join(src, 'config.json') : undefined;
    claim(name, { ckpt, configJson, layout: name === 'dit' && keys.some((k) => k.endsWith('attention.qkv.weight')) ? 'single-file (ComfyUI)' : 'single-file' });
  }
  return { found, tokenizer };
}

function classify(keys: string[]): ComponentName | undefined {
  const has = (re: RegExp) => keys.some((k) => re.test(k));
  const kinds: ComponentName[] = [];
  if (has(/(^|\.)(all_)?x_embedder(\.2-1)?\.weight$/) && has(/cap_embedder/)) kinds.push('dit');
  if (has(/(^|\.)embed_tokens\.weight$/)) kinds.push('te');
  if (has(/(^|\.)decoder\.conv_in\.weight$/)) kinds.push('vae');
  if (kinds.length > 1) throw new EngineError('convert-merged-file', `one file holds several components (${kinds.join(', ')})`, { hint: 'merged "AIO" checkpoints are not supported: pass the DiT, text encoder and VAE files separately' });
  return kinds[0];
}

function sha256(file: string, log?: (l: string) => void): string {
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(16 << 20);
  const size = fs.fstatSync(fd).size;
  let pos = 0, lastLog = Date.now();
  try {
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, pos)) > 0; pos += n) {
      h.update(buf.subarray(0, n));
      if (log && Date.now() - lastLog > 5000) { log(`  hashing ${path.basename(file)}: ${Math.round((100 * pos) / size)} %`); lastLog = Date.now(); }
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

function buildComponent(name: ComponentName, src: ComponentSource, precision: Precision, g: Graph, graph: GraphOptions) {
  const plan = precisionPlan(precision);
  const table: KeyTable = name === 'dit' ? ditKeyTable(src.ckpt) : name === 'te' ? qwen3KeyTable(src.ckpt) : vaeKeyTable(src.ckpt);
  const ctx = new BuildContext(g, src.ckpt, table, plan, graph);
  if (name === 'dit') {
    const config = detectDitConfig(src.ckpt, table, src.configJson);
    buildDit(ctx, config);
    return { ctx, config, parameters: ditParameterCount(config), table };
  }
  if (name === 'te') {
    const config = detectQwen3Config(src.ckpt, table, src.configJson);
    buildQwen3(ctx, config);
    return { ctx, config, parameters: qwen3ParameterCount(config), table };
  }
  const config = detectVaeConfig(src.ckpt, table, src.configJson);
  buildVaeDecoder(ctx, config);
  return { ctx, config, parameters: vaeDecoderParameterCount(config), table };
}

/** Converts; returns the folder written (`<out>/<precision>`). */
export function convert(opts: ConvertOptions): { dir: string; manifest: Manifest } {
  const log = opts.log ?? (() => {});
  if (!PRECISIONS.includes(opts.precision)) {
    throw new EngineError('convert-bad-precision', `unknown precision ${JSON.stringify(opts.precision)}`, { hint: `use one of ${PRECISIONS.join(', ')}` });
  }
  const wanted = opts.components ?? COMPONENTS;
  const { found, tokenizer } = locateComponents(opts.sources);
  const missing = wanted.filter((c) => !found[c]);
  if (missing.length) {
    throw new EngineError('convert-missing-component', `no ${missing.map((m) => m.toUpperCase()).join(', ')} among the sources`, {
      hint: 'pass the diffusers folder, or the DiT, text-encoder and VAE files, or limit --components',
    });
  }
  const finalDir = path.join(opts.out, opts.precision);
  fs.mkdirSync(opts.out, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(opts.out, `.${opts.precision}.partial-`));
  fs.chmodSync(tmp, 0o755);
  try {
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      name: opts.name ?? path.basename(path.resolve(opts.out)),
      precision: opts.precision,
      tiny: opts.tiny ?? false,
      createdAt: new Date().toISOString(),
      components: {},
    };
    for (const name of wanted) {
      const src = found[name]!;
      const g = new Graph(`zimage-${name}`, name === 'vae' ? VAE_OPSET : undefined);
      const graph = opts.graph ?? DEFAULT_GRAPH_OPTIONS;
      const built = buildComponent(name, src, opts.precision, g, graph);
      const file = `${name}.onnx`;
      log(`[${name}] ${src.layout}: ${built.ctx.used.size} tensors → ${file} (${opts.precision})`);
      let last = 0;
      const { bytes } = g.write(path.join(tmp, file), (done, total, key) => {
        if (Date.now() - last > 2000 || done === total) { log(`[${name}] ${done}/${total} ${key}`); last = Date.now(); }
      });
      const unused = built.ctx.unused();
      if (unused.length) log(`[${name}] unused tensors (${unused.length}): ${unused.slice(0, 5).join(', ')}${unused.length > 5 ? ' …' : ''}`);
      manifest.components[name] = {
        file,
        precision: opts.precision,
        weightDtype: built.ctx.compute.toLowerCase(),
        reason: opts.precision === 'fp16-safe' ? 'requested; fp16 with ComfyUI-style overflow guards (fp32 residual stream and norms, clamps)' : 'requested',
        fp32Islands: opts.precision === 'fp32' ? [] : islands(name, graph),
        config: built.config,
        parameters: built.parameters,
        source: { layout: src.layout, files: src.ckpt.files.map((f) => ({ path: path.resolve(f), bytes: fs.statSync(f).size, sha256: sha256(f, log) })) },
        tensors: { initializers: g.weights.length, sourceTensors: src.ckpt.keys().length, unused, ignored: built.table.ignored.length },
        opTypes: [...g.opTypes].sort(),
        weightBytes: bytes,
        graph,
      };
    }
    if (tokenizer) {
      fs.copyFileSync(tokenizer, path.join(tmp, 'tokenizer.json'));
      manifest.tokenizer = 'tokenizer.json';
    }
    fs.writeFileSync(path.join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2));
    // Swap in atomically: an older conversion is moved aside first and removed only after the rename.
    const old = fs.existsSync(finalDir) ? `${finalDir}.old-${process.pid}` : undefined;
    if (old) fs.renameSync(finalDir, old);
    fs.renameSync(tmp, finalDir);
    if (old) fs.rmSync(old, { recursive: true, force: true });
    return { dir: finalDir, manifest };
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

export function readManifest(dir: string): Manifest {
  const file = path.join(dir, 'manifest.json');
  if (!fs.existsSync(file)) {
    throw new EngineError('model-not-converted', `${dir} has no manifest.json`, { hint: 'point --model at a converted folder (e.g. weights/tiny/fp32), made by `zimage convert`' });
  }
  const m = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  if (m.format !== MANIFEST_FORMAT) throw new EngineError('model-bad-manifest', `${file} has format ${m.format}, expected ${MANIFEST_FORMAT}`, { hint: 'convert the model again with this version' });
  return m;
}
