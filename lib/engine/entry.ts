// The engine surface the studio loads at run time, compiled by scripts/build-engine.mjs into dist/engine/engine.mjs.
// Deliberately only re-exports: the engine stays plain Node (as the CLI and tests run it) instead of being bundled
// by Next.js, whose bundler rewrites require.resolve/import.meta.resolve that the engine uses to find its files.
export { auditModel, ensureDefaultModel, listModels, loadPipeline, systemInfo, ZImagePipeline } from '../../inference/pipeline/index.ts';
export { readPngInfo } from '../../inference/pipeline/png.ts';
export { listLoras } from '../../inference/lora/library.ts';
export { loadTokenizer, MAX_PROMPT_TOKENS } from '../../inference/tokenizer/qwen3.ts';
