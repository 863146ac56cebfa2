// The answer of OpenAI's edits and variations routes for one stored result: b64_json (the PNG read from the store)
// or url (the result's public image URL), in OpenAI's response shape. Deliberately no request parsing.
import { openAiResponse } from '../api/openai.ts';
import { publicOrigin } from '../http.ts';
import { imageUrl, type ResultRecord } from '../results.ts';
import { getStudio } from './studio.ts';

export async function openAiImageAnswer(request: Request, fields: Map<string, string>, record: ResultRecord) {
  const { env, store } = getStudio();
  const format = fields.get('response_format') === 'url' ? 'url' : 'b64_json';
  const png = format === 'b64_json' ? await store.readImage(record.id) : new Uint8Array();
  const url = `${publicOrigin(request.headers, env.PUBLIC_URL)}${imageUrl(record.id)}`;
  const size = `${record.size?.width ?? record.request.width}x${record.size?.height ?? record.request.height}`;
  const made = [{ id: record.id, seed: record.request.seed, bytes: png, url }];
  return openAiResponse({ format: 'png', responseFormat: format, quality: 'medium', size, ignored: [] }, made, new Date(record.createdAt));
}
