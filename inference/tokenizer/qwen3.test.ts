// Tests for qwen3.ts: every prompt of fixtures/prompts.json must encode to exactly the ids that the Rust
// `tokenizers` library gives for the same tokenizer.json (fixtures/token_ids.json, written by
// scripts/reference/dump_tokens.py), with the same truncation; plus the template ids, the model-folder copy
// and the typed errors.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  copyPackagedTokenizer,
  loadTokenizer,
  MAX_PROMPT_TOKENS,
  packagedTokenizerPath,
  TokenizerError,
  type Qwen3Tokenizer,
} from './qwen3.ts';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), 'utf8'));

interface Prompt { name: string; text: string }
interface Reference { name: string; text: string; ids: number[]; count: number; truncated: boolean; droppedTokens: number }
interface TokenFixture { tokenizerSha256: string; maxLength: number; template: [string, string]; entries: Reference[] }

const prompts = fixture('prompts.json') as Prompt[];
const reference = fixture('token_ids.json') as TokenFixture;

let tokenizer: Qwen3Tokenizer;
before(() => {
  tokenizer = loadTokenizer();
});

describe('the fixtures describe this tokenizer and this prompt set', () => {
  test('token_ids.json was dumped from the packaged tokenizer.json', () => {
    const sha = createHash('sha256').update(readFileSync(packagedTokenizerPath())).digest('hex');
    assert.equal(sha, reference.tokenizerSha256,
      'The packaged tokenizer.json changed: re-run `python3 scripts/reference/dump_tokens.py`.');
    assert.equal(reference.maxLength, MAX_PROMPT_TOKENS);
    assert.deepEqual(reference.template, ['<|im_start|>user\n', '<|im_end|>\n<|im_start|>assistant\n']);
  });

  test('token_ids.json covers prompts.json as it is now (at least 60 prompts)', () => {
    assert.ok(prompts.length >= 60);
    assert.deepEqual(reference.entries.map((e) => [e.name, e.text]), prompts.map((p) => [p.name, p.text]),
      'prompts.json changed: re-run `python3 scripts/reference/dump_tokens.py`.');
  });
});

describe('encodePrompt matches the Rust tokenizers library id for id', () => {
  for (const entry of reference.entries) {
    test(entry.name, () => {
      const got = tokenizer.encodePrompt(entry.text);
      assert.deepEqual(Array.from(got.ids), entry.ids);
      assert.equal(got.count, entry.count);
      assert.equal(got.truncated, entry.truncated);
      assert.equal(got.droppedTokens, entry.droppedTokens);
    });
  }
});

describe('template and truncation', () => {
  test('the template starts <|im_start|> user \\n and ends <|im_end|> \\n <|im_start|> assistant \\n', () => {
    const { ids } = tokenizer.encodePrompt('a cat');
    assert.deepEqual(Array.from(ids.subarray(0, 3)), [151644, 872, 198]);
    assert.deepEqual(Array.from(ids.subarray(-5)), [151645, 198, 151644, 77091, 198]);
    assert.deepEqual(Array.from(tokenizer.encodePrompt('').ids), [151644, 872, 198, 151645, 198, 151644, 77091, 198]);
  });

  test('special tokens typed in a prompt stay single ids, as in the reference', () => {
    const ids = Array.from(tokenizer.encodePrompt('x<|im_end|>y').ids);
    assert.equal(ids.filter((id) => id === 151645).length, 2);
  });

  test('the fixture holds both sides of the 512 limit', () => {
    const byName = new Map(reference.entries.map((e) => [e.name, e]));
    assert.equal(byName.get('boundary-504-tokens')?.truncated, false);
    assert.equal(byName.get('boundary-504-tokens')?.count, MAX_PROMPT_TOKENS);
    assert.equal(byName.get('boundary-505-tokens')?.droppedTokens, 1);
    const long = tokenizer.encodePrompt('word '.repeat(2000));
    assert.equal(long.count, MAX_PROMPT_TOKENS);
    assert.equal(long.ids.length, MAX_PROMPT_TOKENS);
    assert.ok(long.truncated && long.droppedTokens > 1000);
  });
});

describe('files and errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qwen3-tokenizer-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('copyPackagedTokenizer writes the same bytes, and the copy encodes the same', () => {
    const dest = copyPackagedTokenizer(join(dir, 'tiny', 'tokenizer', 'tokenizer.json'));
    assert.deepEqual(readFileSync(dest), readFileSync(packagedTokenizerPath()));
    const copy = loadTokenizer(dest);
    assert.equal(copy.path, dest);
    assert.deepEqual(copy.encodePrompt('一只猫 🐱').ids, tokenizer.encodePrompt('一只猫 🐱').ids);
  });

  test('a missing, broken or non-Qwen tokenizer.json is a TokenizerError that says what to do', () => {
    const fails = (path: string, code: string) =>
      assert.throws(() => loadTokenizer(path), (e: unknown) => e instanceof TokenizerError && e.code === code && e.hint.length > 0);
    fails(join(dir, 'absent.json'), 'tokenizer-not-found');
    writeFileSync(join(dir, 'broken.json'), '{"model": {');
    fails(join(dir, 'broken.json'), 'tokenizer-invalid');
    writeFileSync(join(dir, 'wordpiece.json'), JSON.stringify({ model: { type: 'WordPiece' } }));
    fails(join(dir, 'wordpiece.json'), 'tokenizer-invalid');
    writeFileSync(join(dir, 'bare-bpe.json'), JSON.stringify({ model: { type: 'BPE', vocab: {}, merges: [] } }));
    fails(join(dir, 'bare-bpe.json'), 'tokenizer-invalid');
    writeFileSync(join(dir, 'other-bpe.json'), JSON.stringify({
      version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null, pre_tokenizer: null,
      post_processor: null, decoder: null,
      model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2 }, merges: ['a b'], unk_token: null },
    }));
    fails(join(dir, 'other-bpe.json'), 'tokenizer-not-qwen');
  });
});
