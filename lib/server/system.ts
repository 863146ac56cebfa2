// Builds the GET /api/system answer, shared by the route and the studio page's server render.
// Deliberately re-scans the weights folder each time so newly converted models appear without a restart.
import { toModelInfo, type SystemResponse } from '../system.ts';
import { getStudio } from './studio.ts';

export async function loadSystem(): Promise<SystemResponse> {
  const { engine } = getStudio();
  const [system, models, ep] = await Promise.all([engine.system(), engine.models(), engine.ep()]);
  return { system, ep, models: models.map(toModelInfo), defaultModel: engine.defaultModel(models)?.id ?? null };
}
