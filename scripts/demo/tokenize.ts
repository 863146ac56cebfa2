// Bridge for the demo model's Python scripts: reads a JSON array of prompts on stdin and prints, as JSON, the token
// ids the engine's own Qwen3 tokenizer (inference/tokenizer/qwen3.ts: chat template, 512-token cut) gives each one.
// Used to make the token-id parity fixture scripts/demo/token_parity.json and for CPU smoke runs where the Python
// `tokenizers` package is absent. Deliberately nothing else.
//   echo '["red hair"]' | npx tsx scripts/demo/tokenize.ts
import { readFileSync } from 'node:fs';
import { loadTokenizer } from '../../inference/tokenizer/qwen3.ts';

const prompts = JSON.parse(readFileSync(0, 'utf8')) as string[];
const tokenizer = loadTokenizer();
process.stdout.write(JSON.stringify(prompts.map((p) => Array.from(tokenizer.encodePrompt(p).ids))));
