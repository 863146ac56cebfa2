// Where each LoRA module lands in a converted DiT: the converted graph's initializers (read back from dit.onnx —
// names are the diffusers checkpoint keys, Linear weights stored transposed [in, out]) give the model's layers; the
// ComfyUI spellings (fused `attention.qkv`, `attention.out`, `x_embedder`, `final_layer`) and kohya's underscored
// names are aliases of them; the adaLN weights the converter batched into one initializer are placed by the row
// table the converter used (batchedModulationParts). A module whose layer the model lacks, or whose shapes do not
// fit, refuses the whole file with the key and both shapes.
// It deliberately computes no deltas (lora-merge.ts does) and never reads weight data.
import fs from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { EngineError } from '../errors.ts';
import { batchedModulationParts, BATCHED_MODULATION, type DitConfig } from '../models/z-image-dit.ts';
import type { LoraFile, LoraModule } from './lora-file.ts';

const { onnx } = onnxProto;

export interface Initializer {
  name: string;
  elemType: number;
  dims: number[];
  /** Byte range in the external data file (`location`, relative to the model's folder). */
  location: string;
  offset: number;
  length: number;
}

/** A slice of one initializer that a layer's weight occupies: delta rows [begin, end) of the layer's [out, in] go to columns from `column` of the stored [in, cols]. */
export interface Slot {
  initializer: string;
  rows: [number, number];
  column: number;
}

/** One Linear layer of the model as a LoRA sees it: [out, in] in PyTorch order, and where its weight sits. */
export interface Layer {
  /** The diffusers key of the weight (e.g. layers.0.attention.to_q.weight), or the ComfyUI alias's own name. */
  key: string;
  out: number;
  in: number;
  slots: Slot[];
}

/** The converted DiT's initializers and the layers a LoRA may change, read from dit.onnx. */
export class DitWeights {
  readonly initializers = new Map<string, Initializer>();
  /** Dotted layer path (diffusers names and ComfyUI aliases) → layer. */
  readonly layers = new Map<string, Layer>();
  /** kohya's underscored path → dotted path. */
  private readonly underscored = new Map<string, string>();

  constructor(readonly dir: string, readonly file: string, readonly config: DitConfig) {
    const model = onnx.ModelProto.decode(fs.readFileSync(path.join(dir, file)));
    for (const t of model.graph?.initializer ?? []) {
      if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
      const ext = Object.fromEntries((t.externalData ?? []).map((e) => [e.key, e.value]));
      this.initializers.set(t.name!, {
        name: t.name!, elemType: t.dataType!, dims: (t.dims ?? []).map(Number), location: ext.location!, offset: Number(ext.offset ?? 0), length: Number(ext.length),
      });
    }
    for (const init of this.initializers.values()) {
      if (init.dims.length !== 2 || !init.name.endsWith('.weight') || init.name === BATCHED_MODULATION) continue;
      const [inF, outF] = init.dims; // stored transposed for MatMul
      this.add(init.name.slice(0, -'.weight'.length), { key: init.name, out: outF, in: inF, slots: [{ initializer: init.name, rows: [0, outF], column: 0 }] });
    }
    const batched = this.initializers.get(BATCHED_MODULATION);
    if (batched) {
      let column = 0;
      const byKey = new Map<string, Slot[]>();
      for (const { key, rows } of batchedModulationParts(config)) {
        byKey.set(key, [...(byKey.get(key) ?? []), { initializer: BATCHED_MODULATION, rows, column }]);
        column += rows[1] - rows[0];
      }
      if (column !== batched.dims[1]) throw new EngineError('lora-model-layout', `${file}: ${BATCHED_MODULATION} has ${batched.dims[1]} columns, the config gives ${column}`, { hint: 'convert the model again with this version' });
      for (const [key, slots] of byKey) this.add(key.slice(0, -'.weight'.length), { key, out: 4 * config.dim, in: config.adalnDim, slots });
    }
    // ComfyUI's single-file names for the same layers: the fused qkv is to_q, to_k, to_v stacked by rows.
    for (const [p, layer] of [...this.layers.entries()]) {
      const attn = p.match(/^(.*)\.attention\.to_q$/);
      if (attn) {
        const parts = ['to_q', 'to_k', 'to_v'].map((n) => this.layers.get(`${attn[1]}.attention.${n}`));
        if (parts.every(Boolean)) {
          let at = 0;
          const slots = parts.flatMap((l) => { const s = l!.slots.map((slot) => ({ ...slot, rows: [at + slot.rows[0], at + slot.rows[1]] as [number, number] })); at += l!.out; return s; });
          this.add(`${attn[1]}.attention.qkv`, { key: `${attn[1]}.attention.qkv.weight`, out: at, in: layer.in, slots });
        }
      }
      const out = p.match(/^(.*)\.attention\.to_out\.0$/);
      if (out) this.add(`${out[1]}.attention.out`, layer);
    }
    for (const [alias, target] of [['x_embedder', 'all_x_embedder.2-1'], ['final_layer.linear', 'all_final_layer.2-1.linear'], ['final_layer.adaLN_modulation.1', 'all_final_layer.2-1.adaLN_modulation.1']]) {
      const layer = this.layers.get(target);
      if (layer) this.add(alias, layer);
    }
  }

  private add(dotted: string, layer: Layer) {
    this.layers.set(dotted, layer);
    this.underscored.set(dotted.replace(/\./g, '_'), dotted);
  }

  /** The layer a module's path names, or undefined. */
  find(module: LoraModule): Layer | undefined {
    const dotted = module.underscored ? this.underscored.get(module.path) : module.path;
    return dotted === undefined ? undefined : this.layers.get(dotted);
  }
}

/** A module matched to its layer, with the shapes it contributes and its rank. */
export interface ResolvedModule {
  module: LoraModule;
  layer: Layer;
  rank: number;
}

/** Matches every module of a file to the model's layers and checks every shape; refuses the file on the first misfit. */
export function resolveLora(lora: LoraFile, model: DitWeights): ResolvedModule[] {
  const name = path.basename(lora.file);
  const missing = lora.modules.filter((m) => !model.find(m));
  if (missing.length) {
    const first = missing[0];
    const base = lora.metadata.ss_base_model_version ?? lora.metadata['modelspec.architecture'];
    throw new EngineError('lora-wrong-model', `${name}: ${missing.length} of ${lora.modules.length} LoRA modules change layers this Z-Image DiT does not have (first: ${first.tensors.down ?? first.tensors.w1a ?? first.tensors.w1 ?? first.path})`, {
      hint: `is it a LoRA for another model${base ? ` (the file says base model "${base}")` : ''}? Z-Image LoRAs target layers.N.attention.to_q/k/v/out, feed_forward.w1/w2/w3, adaLN_modulation.0, noise_refiner.N, context_refiner.N`,
    });
  }
  return lora.modules.map((module) => {
    const layer = model.find(module)!;
    const shape = (role: string) => lora.ckpt.get(module.tensors[role]).shape;
    const misfit = (role: string, expected: string) => {
      throw new EngineError('lora-shape-mismatch', `${name}: tensor ${module.tensors[role]} has shape [${shape(role)}], which does not fit the model's ${layer.key} [${layer.out}, ${layer.in}] (expected ${expected})`, {
        hint: 'the LoRA was trained for a model of another size or architecture; use one made for this model',
      });
    };
    if (module.kind === 'lora') {
      const down = shape('down'), up = shape('up');
      const r = down[0];
      if (down.length !== 2 || down[1] !== layer.in) misfit('down', `[rank, ${layer.in}]`);
      if (up.length !== 2 || up[0] !== layer.out || up[1] !== r) misfit('up', `[${layer.out}, ${r}]`);
      return { module, layer, rank: r };
    }
    if (module.kind === 'loha') {
      const [w1a, w1b, w2a, w2b] = ['w1a', 'w1b', 'w2a', 'w2b'].map(shape);
      if (w1a.length !== 2 || w1a[0] !== layer.out) misfit('w1a', `[${layer.out}, rank]`);
      if (w1b.length !== 2 || w1b[0] !== w1a[1] || w1b[1] !== layer.in) misfit('w1b', `[${w1a[1]}, ${layer.in}]`);
      if (w2a.length !== 2 || w2a[0] !== layer.out) misfit('w2a', `[${layer.out}, rank]`);
      if (w2b.length !== 2 || w2b[0] !== w2a[1] || w2b[1] !== layer.in) misfit('w2b', `[${w2a[1]}, ${layer.in}]`);
      return { module, layer, rank: w1b[0] };
    }
    // LoKr: ΔW = kron(w1, w2) with w1 [a, b], w2 [c, d], a·c = out, b·d = in (either factor may be a low-rank product).
    const factor = (n: '1' | '2') => {
      const t = module.tensors;
      if (t[`w${n}`]) return { shape: shape(`w${n}`), rank: undefined as number | undefined };
      const a = shape(`w${n}a`), b = shape(`w${n}b`);
      if (a.length !== 2 || b.length !== 2 || a[1] !== b[0]) misfit(`w${n}b`, `[${a[1]}, n] after ${module.tensors[`w${n}a`]} [${a}]`);
      return { shape: [a[0], b[1]], rank: b[0] };
    };
    const f1 = factor('1'), f2 = factor('2');
    if (f1.shape.length !== 2 || f2.shape.length !== 2 || f1.shape[0] * f2.shape[0] !== layer.out || f1.shape[1] * f2.shape[1] !== layer.in) {
      misfit(module.tensors.w2 ? 'w2' : 'w2a', `kron(w1 [${f1.shape}], w2) = [${layer.out}, ${layer.in}]`);
    }
    return { module, layer, rank: f2.rank ?? f1.rank ?? 0 };
  });
}
