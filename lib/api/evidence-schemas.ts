// Request schemas of the integrity routes: the precision query of GET /api/models/:id/audit, the model id in its
// path, and the body of POST /api/comparisons. Deliberately beside no route logic (lib/server/audit.ts and
// lib/server/comparisons.ts hold it), like every other schema in lib/api.
import { z } from '../zod.ts';
import { PRECISIONS } from '../../inference/pipeline/types.ts';
import { RESULT_ID_PATTERN } from '../results.ts';

const precision = z.enum(PRECISIONS, { error: `precision must be one of ${PRECISIONS.join(', ')}.` });

export const auditQuerySchema = z.strictObject({ precision });

/** Model ids are folder names under WEIGHTS_DIR: letters, digits, ".", "_" and "-", never a path. */
export const MODEL_ID_PATTERN = /^(?!\.)[A-Za-z0-9._-]{1,128}$/;

export const comparisonBodySchema = z.strictObject({
  resultId: z.string().regex(RESULT_ID_PATTERN, 'resultId must be a result id: 22 characters of A–Z, a–z, 0–9, "_" and "-".'),
  /** Precisions to set beside the result's own; BF16 and FP16 when absent. */
  precisions: z
    .array(precision)
    .min(1, 'precisions must name at least one precision.')
    .max(PRECISIONS.length)
    .refine((list) => new Set(list).size === list.length, 'precisions must not repeat a precision.')
    .optional(),
});

export type ComparisonBody = z.output<typeof comparisonBodySchema>;
