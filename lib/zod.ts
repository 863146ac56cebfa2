// zod as every schema module of the studio imports it: configured jitless before any schema is built. The browser
// runs these schemas under a CSP without 'unsafe-eval', and zod's fast path probes `Function("")` on first use,
// which the browser reports as a violation even though zod catches it. Deliberately nothing else.
import { z } from 'zod';

z.config({ jitless: true });

export { z };
