// Builds the GET /api/system answer, shared by the route and the studio page's server render.
// Deliberately re-scans the weights folder each time so newly converted models appear without a restart.
import os from 'node:os';
import { toModelInfo, type SystemResponse } from '../system.ts';
import { getStudio } from './studio.ts';

export async function loadSystem(): Promise<SystemResponse> {
  const { engine, queue, workers } = getStudio();
  const [system, models, ep, health, live] = await Promise.all([engine.system(), engine.models(), engine.ep(), queue.health(), workers()]);
  const summaries = live.map(({ name, host, running, done, averageMs, info }) => ({
    name,
    host,
    model: info.model.id,
    precision: info.precision,
    ep: info.ep,
    device: info.device,
    running,
    done,
    ...(averageMs === undefined ? {} : { averageMs }),
  }));
  const host = { memoryTotalMiB: Math.round(os.totalmem() / 2 ** 20), memoryFreeMiB: Math.round(os.freemem() / 2 ** 20) };
  return { system, ep, models: models.map(toModelInfo), defaultModel: engine.defaultModel(models)?.id ?? null, queue: { ...health, workers: summaries }, host };
}
