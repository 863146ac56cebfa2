// LoRA files as the Z-Image trainers write them, recognised by their keys (never by file name): ai-toolkit and
// diffusers/peft (`<prefix><path>.lora_A.weight` / `.lora_B.weight`, prefix `diffusion_model.`, `transformer.`,
// `base_model.model.` or none, optional `<path>.alpha`), DiffSynth-Studio (`<path>.lora_A.default.weight`),
// musubi-tuner / kohya (`lora_unet_<path with _>.lora_down.weight` / `.lora_up.weight` + `.alpha`), and LyCORIS
// LoHa (`hada_w1_a` …) and LoKr (`lokr_w1` / `lokr_w1_a` …) on Linear layers. Each file becomes a list of modules:
// the layer path as written, the kind, which tensor plays which role, alpha and rank.
// It deliberately knows nothing about the model: which layer a path names is decided in lora-map.ts. Files with
// parts it cannot apply (DoRA scales, bias diffs, LoHa/LoKr conv tensors, text-encoder modules) are refused whole,
// naming the key, rather than applied in part.
import path from 'node:path';
import { EngineError } from '../errors.ts';
import { Checkpoint } from '../safetensors.ts';

export type LoraKind = 'lora' | 'loha' | 'lokr';
export type LoraFormat = 'ai-toolkit/peft' | 'diffsynth' | 'kohya' | 'lycoris-loha' | 'lycoris-lokr';

export interface LoraModule {
  /** The layer path as the file writes it, prefix and suffix removed: dotted (`layers.0.attention.to_q`) or, for kohya files, underscored (`layers_0_attention_to_q`). */
  path: string;
  /** Whether `path` is kohya's underscored form (resolved against the model's layer names). */
  underscored: boolean;
  kind: LoraKind;
  format: LoraFormat;
  /** Role → key in the file. lora: down [r,in], up [out,r]; loha: w1a, w1b, w2a, w2b; lokr: w1 | w1a+w1b, w2 | w2a+w2b. */
  tensors: Record<string, string>;
  /** The `.alpha` tensor's value, when the file has one. */
  alpha?: number;
}

export interface LoraFile {
  file: string;
  /** Formats found (one, for every file the trainers write). */
  formats: LoraFormat[];
  modules: LoraModule[];
  metadata: Record<string, string>;
  ckpt: Checkpoint;
}

const PEFT_PREFIXES = ['base_model.model.', 'diffusion_model.', 'transformer.', 'model.diffusion_model.'];
// longest first: musubi writes lora_unet_, the Fun-distilled files lora_unet__, InvokeAI lora_transformer-
const KOHYA_PREFIXES = ['lora_unet__', 'lora_unet_', 'lora_transformer_', 'lora_transformer-'];

/** suffix → [role, kind, format]; longest suffixes first so `.lora_A.default.weight` wins over `.weight`. */
const SUFFIXES: [string, string, LoraKind, LoraFormat | 'dotted-kohya'][] = [
  ['.lora_A.default.weight', 'down', 'lora', 'diffsynth'],
  ['.lora_B.default.weight', 'up', 'lora', 'diffsynth'],
  ['.lora_A.weight', 'down', 'lora', 'ai-toolkit/peft'],
  ['.lora_B.weight', 'up', 'lora', 'ai-toolkit/peft'],
  ['.lora_down.weight', 'down', 'lora', 'dotted-kohya'],
  ['.lora_up.weight', 'up', 'lora', 'dotted-kohya'],
  ['.hada_w1_a', 'w1a', 'loha', 'lycoris-loha'],
  ['.hada_w1_b', 'w1b', 'loha', 'lycoris-loha'],
  ['.hada_w2_a', 'w2a', 'loha', 'lycoris-loha'],
  ['.hada_w2_b', 'w2b', 'loha', 'lycoris-loha'],
  ['.lokr_w1_a', 'w1a', 'lokr', 'lycoris-lokr'],
  ['.lokr_w1_b', 'w1b', 'lokr', 'lycoris-lokr'],
  ['.lokr_w2_a', 'w2a', 'lokr', 'lycoris-lokr'],
  ['.lokr_w2_b', 'w2b', 'lokr', 'lycoris-lokr'],
  ['.lokr_w1', 'w1', 'lokr', 'lycoris-lokr'],
  ['.lokr_w2', 'w2', 'lokr', 'lycoris-lokr'],
];

/** Keys of parts that change more than a Linear's weight: refused with what they are. */
const UNSUPPORTED: [RegExp, string][] = [
  [/\.dora_scale$/, 'DoRA (weight-decomposed LoRA) magnitude'],
  [/\.(hada_t1|hada_t2|lokr_t2)$/, 'LyCORIS Tucker (convolution) factors'],
  [/\.diff_b$|\.lora_B\.bias$|\.lora_up\.bias$|\.bias$/, 'a bias change'],
  [/\.diff$/, 'a full weight difference ("diff")'],
  [/\.(w_norm|b_norm)$/, 'a norm-layer change'],
  [/\.(oft_blocks|oft_diag|oft_R)$/, 'an OFT/BOFT adapter'],
  [/\.(ia3_w|weight_ia3)$|\.on_input$/, 'an IA³ adapter'],
  [/\.glora_[ab][12]$|\.a1\.weight$/, 'a GLoRA adapter'],
];

const TEXT_ENCODER = /^(lora_te\d?_|text_encoder\.|text_encoders\.|lora_te_|te\.)/;

function stripPrefix(stem: string, prefixes: string[]): string {
  for (const p of prefixes) if (stem.startsWith(p)) return stem.slice(p.length);
  return stem;
}

/** Opens a LoRA file and sorts its tensors into modules; refuses files it could only apply in part. */
export function readLoraFile(file: string): LoraFile {
  if (!/\.safetensors$/i.test(file)) {
    throw new EngineError('lora-bad-file', `${path.basename(file)} is not a .safetensors file`, { hint: 'LoRAs are read from .safetensors files only (pickled .ckpt/.pt files can run code and are never opened)' });
  }
  const ckpt = Checkpoint.open(file);
  const byStem = new Map<string, LoraModule>();
  const alphas = new Map<string, string>();
  const refuse = (key: string, what: string, hint?: string): never => {
    throw new EngineError('lora-unsupported', `${path.basename(file)}: tensor ${key} is ${what}, which this studio does not apply`, {
      hint: hint ?? 'only LoRA, LoHa and LoKr changes of Linear weights are applied; re-export the LoRA without it, or use one made by ai-toolkit, musubi-tuner or DiffSynth-Studio',
    });
  };
  for (const key of ckpt.keys()) {
    if (TEXT_ENCODER.test(key)) refuse(key, 'a text-encoder module', 'Z-Image LoRAs train the DiT only; this file was made for a model with a trainable text encoder (SD1.5/SDXL?)');
    if (key.endsWith('.alpha')) { alphas.set(key.slice(0, -'.alpha'.length), key); continue; }
    const suffix = SUFFIXES.find(([s]) => key.endsWith(s));
    if (!suffix) {
      const unsupported = UNSUPPORTED.find(([re]) => re.test(key));
      if (unsupported) refuse(key, unsupported[1]);
      throw new EngineError('lora-not-lora', `${path.basename(file)}: tensor ${key} is not part of a LoRA (expected …lora_A/lora_B, …lora_down/lora_up, LoHa hada_* or LoKr lokr_* keys)`, {
        hint: 'is this a model checkpoint rather than a LoRA? Checkpoints are converted with `zimage convert`, LoRAs go in WEIGHTS_DIR/loras/',
      });
    }
    const [s, role, kind, fmt] = suffix;
    const stem = key.slice(0, -s.length);
    let module = byStem.get(stem);
    if (!module) {
      const kohya = KOHYA_PREFIXES.some((p) => stem.startsWith(p));
      const format: LoraFormat = fmt === 'dotted-kohya' ? (kohya ? 'kohya' : 'ai-toolkit/peft') : fmt;
      module = { path: kohya ? stripPrefix(stem, KOHYA_PREFIXES) : stripPrefix(stem, PEFT_PREFIXES), underscored: kohya, kind, format, tensors: {} };
      byStem.set(stem, module);
    }
    if (module.kind !== kind) refuse(key, `a ${kind} tensor in a ${module.kind} module`);
    if (module.tensors[role]) refuse(key, `a second ${role} tensor of ${stem}`);
    module.tensors[role] = key;
  }
  for (const [stem, key] of alphas) {
    const module = byStem.get(stem);
    if (!module) throw new EngineError('lora-not-lora', `${path.basename(file)}: ${key} is the alpha of no LoRA module`, { hint: 'the file is damaged or not a LoRA' });
    const value = ckpt.readF32(key);
    if (value.length !== 1 || !Number.isFinite(value[0])) throw new EngineError('lora-bad-file', `${path.basename(file)}: ${key} must be one finite number (has ${value.length} values)`);
    module.alpha = value[0];
  }
  const modules = [...byStem.entries()].map(([stem, m]) => {
    const need = m.kind === 'lora' ? [['down'], ['up']] : m.kind === 'loha' ? [['w1a'], ['w1b'], ['w2a'], ['w2b']] : [['w1', 'w1a'], ['w2', 'w2a']];
    for (const alternatives of need) {
      if (!alternatives.some((r) => m.tensors[r])) {
        throw new EngineError('lora-incomplete', `${path.basename(file)}: module ${stem} has no ${alternatives.join(' or ')} tensor`, { hint: 'the file is truncated or damaged; download it again' });
      }
    }
    if (m.kind === 'lokr') for (const [full, a, b] of [['w1', 'w1a', 'w1b'], ['w2', 'w2a', 'w2b']]) {
      if (!m.tensors[full] && !(m.tensors[a] && m.tensors[b])) throw new EngineError('lora-incomplete', `${path.basename(file)}: LoKr module ${stem} has ${a} without ${b}`);
    }
    return m;
  });
  if (!modules.length) throw new EngineError('lora-not-lora', `${path.basename(file)} holds no LoRA tensors`, { hint: 'LoRAs have …lora_A/lora_B or …lora_down/lora_up keys' });
  return { file, formats: [...new Set(modules.map((m) => m.format))], modules, metadata: ckpt.metadata, ckpt };
}

/** What a LoRA file says about itself in its `__metadata__`: kohya `ss_*`, modelspec and ai-toolkit fields. */
export interface LoraInfo {
  /** Base model the trainer recorded (ss_base_model_version, modelspec.architecture…). */
  baseModel?: string;
  /** Trigger words: modelspec.trigger_phrase, else the most frequent tags of ss_tag_frequency. */
  triggerWords: string[];
  title?: string;
  description?: string;
  rank?: number;
  alpha?: number;
  trainer?: string;
}

export function loraInfo(metadata: Record<string, string>): LoraInfo {
  const pick = (...keys: string[]) => keys.map((k) => metadata[k]).find((v) => typeof v === 'string' && v.trim());
  const triggers: string[] = [];
  const phrase = pick('modelspec.trigger_phrase', 'ss_trigger_words', 'trigger_words');
  if (phrase) triggers.push(...phrase.split(',').map((s) => s.trim()).filter(Boolean));
  if (!triggers.length && metadata.ss_tag_frequency) {
    try {
      const freq = JSON.parse(metadata.ss_tag_frequency) as Record<string, Record<string, number>>;
      const counts = new Map<string, number>();
      for (const tags of Object.values(freq)) for (const [tag, n] of Object.entries(tags)) counts.set(tag.trim(), (counts.get(tag.trim()) ?? 0) + n);
      triggers.push(...[...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([t]) => t));
    } catch { /* a malformed tag table is only metadata */ }
  }
  const num = (v?: string) => (v !== undefined && Number.isFinite(Number(v)) ? Number(v) : undefined);
  let trainer: string | undefined;
  if (metadata.ss_sd_model_name || metadata.ss_network_module) trainer = 'kohya / musubi-tuner';
  if (metadata.software) { try { trainer = (JSON.parse(metadata.software) as { name?: string }).name ?? trainer; } catch { trainer = metadata.software; } }
  return {
    baseModel: pick('ss_base_model_version', 'modelspec.architecture', 'base_model', 'ss_sd_model_name'),
    triggerWords: triggers,
    title: pick('modelspec.title', 'ss_output_name', 'name'),
    description: pick('modelspec.description', 'description'),
    rank: num(pick('ss_network_dim', 'lora_rank', 'rank')),
    alpha: num(pick('ss_network_alpha', 'lora_alpha', 'alpha')),
    trainer,
  };
}
