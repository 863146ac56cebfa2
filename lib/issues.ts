// Turns zod issues into one sentence a person can act on ("width: Width 1000 is not a multiple of 16 … Use 992 or
// 1008."). Deliberately free of HTTP and server code so API schemas and their tests can use it anywhere.
import type { z } from 'zod';

export function describeIssues(issues: readonly z.core.$ZodIssue[], allowedFields?: readonly string[]): string {
  return issues
    .map((issue) => {
      const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      if (issue.code === 'unrecognized_keys') {
        const plural = issue.keys.length > 1;
        const keys = issue.keys.map((key) => `"${key}"`).join(', ');
        const allowed = allowedFields ? ` Allowed fields: ${allowedFields.join(', ')}.` : '';
        return `${where}unknown field${plural ? 's' : ''} ${keys}: remove ${plural ? 'them' : 'it'}.${allowed}`;
      }
      return `${where}${issue.message}`;
    })
    .join(' ');
}
