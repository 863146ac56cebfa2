// Reads generation settings back from a PNG dropped on the studio: our own `zimage-studio` JSON chunk (exact: seed,
// steps, CFG, size, precision, model), else A1111's `parameters` text (what A1111, Forge and ComfyUI's savers write:
// prompt, "Negative prompt: …", then "Steps: 20, Sampler: …, CFG scale: 7, Seed: 1, Size: 512x768, …"). Runs in
// the browser: the text chunks (tEXt, iTXt, zTXt; compressed ones through DecompressionStream) are read from the
// bytes without decoding pixels. Deliberately returns only what the file says; the form checks it like typing.

export interface PngSettings {
  source: 'zimage-studio' | 'a1111';
  prompt: string;
  negativePrompt: string;
  steps?: number;
  cfg?: number;
  width?: number;
  height?: number;
  seed?: number;
  precision?: string;
  model?: string;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

async function inflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Every text chunk of a PNG, keyword → text; throws when the bytes are not a PNG. */
export async function readPngTextChunks(png: Uint8Array): Promise<Record<string, string>> {
  if (png.length < 8 || SIGNATURE.some((byte, index) => png[index] !== byte)) {
    throw new Error('This file is not a PNG: drop a PNG saved by the studio, A1111, Forge or ComfyUI.');
  }
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const latin1 = new TextDecoder('latin1');
  const utf8 = new TextDecoder('utf-8');
  const text: Record<string, string> = {};
  for (let offset = 8; offset + 12 <= png.length; ) {
    const length = view.getUint32(offset);
    const type = latin1.decode(png.subarray(offset + 4, offset + 8));
    const data = png.subarray(offset + 8, offset + 8 + length);
    offset += 12 + length;
    if (type === 'IEND') break;
    const nul = data.indexOf(0);
    if (nul < 0 || !['tEXt', 'iTXt', 'zTXt'].includes(type)) continue;
    const keyword = latin1.decode(data.subarray(0, nul));
    if (type === 'tEXt') text[keyword] = latin1.decode(data.subarray(nul + 1));
    else if (type === 'zTXt') text[keyword] = latin1.decode(await inflate(data.subarray(nul + 2)));
    else {
      // iTXt: keyword\0 flag method language\0 translated\0 text
      const compressed = data[nul + 1] === 1;
      const language = data.indexOf(0, nul + 3);
      const translated = data.indexOf(0, language + 1);
      const body = data.subarray(translated + 1);
      text[keyword] = utf8.decode(compressed ? await inflate(body) : body);
    }
  }
  return text;
}

/** The A1111 `parameters` text: prompt, optional negative prompt, and the "Key: value, …" settings line. */
export function parseA1111Parameters(parameters: string): PngSettings {
  const lines = parameters.replace(/\r\n/g, '\n').split('\n');
  let settingsAt = -1;
  for (let index = lines.length - 1; index >= 0; index--) {
    if (/^\s*Steps: \d+/.test(lines[index])) {
      settingsAt = index;
      break;
    }
  }
  const head = settingsAt >= 0 ? lines.slice(0, settingsAt) : lines;
  const negativeAt = head.findIndex((line) => line.startsWith('Negative prompt:'));
  const prompt = (negativeAt >= 0 ? head.slice(0, negativeAt) : head).join('\n').trim();
  const negativePrompt = negativeAt >= 0 ? head.slice(negativeAt).join('\n').replace(/^Negative prompt:\s?/, '').trim() : '';
  const settings: Record<string, string> = {};
  if (settingsAt >= 0) {
    for (const match of lines.slice(settingsAt).join(' ').matchAll(/\s*([A-Za-z][\w ]*?):\s*("(?:[^"\\]|\\.)*"|[^,]*)(?:,|$)/g)) {
      settings[match[1].trim()] = match[2].trim().replace(/^"|"$/g, '');
    }
  }
  const number = (key: string) => (settings[key] !== undefined && settings[key] !== '' && Number.isFinite(Number(settings[key])) ? Number(settings[key]) : undefined);
  const size = /^(\d+)x(\d+)$/.exec(settings.Size ?? '');
  return {
    source: 'a1111',
    prompt,
    negativePrompt,
    steps: number('Steps'),
    cfg: number('CFG scale'),
    seed: number('Seed'),
    width: size ? Number(size[1]) : undefined,
    height: size ? Number(size[2]) : undefined,
    precision: settings.Precision,
  };
}

/** The settings a PNG carries, ours first; null when it has none (a screenshot, a photo). */
export async function settingsFromPng(png: Uint8Array): Promise<PngSettings | null> {
  const text = await readPngTextChunks(png);
  if (text['zimage-studio']) {
    try {
      const meta = JSON.parse(text['zimage-studio']) as { request?: Record<string, unknown>; model?: { id?: string } };
      const request = meta.request ?? {};
      const num = (key: string) => (typeof request[key] === 'number' ? (request[key] as number) : undefined);
      if (typeof request.prompt === 'string') {
        return {
          source: 'zimage-studio',
          prompt: request.prompt,
          negativePrompt: typeof request.negativePrompt === 'string' ? request.negativePrompt : '',
          steps: num('steps'),
          cfg: num('cfg'),
          width: num('width'),
          height: num('height'),
          seed: num('seed'),
          precision: typeof request.precision === 'string' ? request.precision : undefined,
          model: meta.model?.id,
        };
      }
    } catch {
      // A damaged chunk of ours: fall back to the A1111 text, which says nearly the same.
    }
  }
  if (text.parameters) return parseA1111Parameters(text.parameters);
  return null;
}
