// The load-time audit of a model's converted precision for GET /api/models/:id/audit: what the ONNX files hold, read
// back by the engine the same way the pipeline checks them before loading. Deliberately only with the in-process
// engine: with the Redis queue the weights live beside the workers, and each result card carries its run's audit.
import type { ModelAudit } from '../../inference/audit.ts';
import type { ModelEntry, Precision } from '../../inference/pipeline/types.ts';
import { toAuditView, type ModelAuditView } from '../audit.ts';
import { StudioError } from '../errors.ts';
import { getStudio } from './studio.ts';

interface Auditor {
  audit(modelId: string, precision: Precision): Promise<{ model: ModelEntry; audit: ModelAudit }>;
}

/** By shape, not instanceof: Next.js may load the adapter module once per route bundle. */
function canAudit(engine: object): engine is Auditor {
  return typeof (engine as Partial<Auditor>).audit === 'function';
}

export async function modelAudit(modelId: string, precision: Precision): Promise<ModelAuditView> {
  const { engine } = getStudio();
  if (!canAudit(engine)) {
    throw new StudioError(
      'audit_unavailable',
      'The load-time audit reads the ONNX files, and with the Redis queue they live beside the workers, not on this server. ' +
        'Each result card still shows the audit of the run that made it.',
    );
  }
  const { audit } = await engine.audit(modelId, precision);
  return toAuditView(modelId, audit);
}
