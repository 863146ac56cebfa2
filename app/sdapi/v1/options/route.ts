// GET|POST /sdapi/v1/options: A1111's settings. sd_model_checkpoint reads and switches the checkpoint A1111 requests
// run on when they name none; every other key is stored and echoed by GET, and the POST answer lists it as ignored
// because no setting here changes a Z-Image result. Clients often POST back the whole object GET gave them.
import { HONOURED_OPTIONS, optionsUpdateSchema, optionsView, readOptionsUpdate } from '@/lib/api/a1111-surface.ts';
import { handle, json, readJson } from '@/lib/http.ts';
import { readOptions, updateOptions } from '@/lib/server/a1111-session.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async () => {
  const { values, checkpoint } = await readOptions();
  return json(optionsView(values, checkpoint));
});

export const POST = handle(async (request: Request) => {
  const update = readOptionsUpdate(await readJson(request, optionsUpdateSchema));
  const { checkpoint } = await updateOptions(update);
  return json({
    sd_model_checkpoint: checkpoint,
    honoured: HONOURED_OPTIONS.filter(() => update.checkpoint !== undefined),
    ignored: Object.keys(update.stored),
    note: 'Keys other than sd_model_checkpoint are stored and echoed by GET /sdapi/v1/options; they do not change a Z-Image result.',
  });
});
