// The table of every HTTP API route: its path, methods, who may call it and which rate limit it draws on, plus the
// request size limit. The proxy (proxy.ts) answers unknown paths, wrong methods, missing credentials and floods
// from this table before a route runs; a test keeps it equal to the route files under app/. Deliberately plain data
// with no Next.js or Node imports, so the proxy bundle and the tests load it as is.

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

/**
 * private: needs the API token when one is configured. public: capability URLs (a result's image or a comparison is
 * reachable by whoever holds its unguessable 128-bit id, as share links must be). session: the sign-in endpoint.
 */
export type RouteAccess = 'private' | 'public' | 'session';

export interface ApiRoute {
  /** `:id` matches one path segment; the route validates it. */
  path: string;
  methods: readonly HttpMethod[];
  access: RouteAccess;
  /** POSTs that queue a generation draw on the stricter per-client generation limit too. */
  generates?: boolean;
  /** Bodies that carry images may be larger than MAX_BODY_BYTES; the route reads them with the same cap. */
  maxBodyBytes?: number;
}

/** Largest request body any route reads: two 8000-character prompts escaped as \uXXXX pairs fit with room to spare. */
export const MAX_BODY_BYTES = 256 * 1024;
/** Image routes (PNG Info's base64 JSON; img2img and edits): one 20 MiB image plus a mask, base64 included. */
export const MAX_IMAGE_BODY_BYTES = 48 * 1024 * 1024;

export const API_ROUTES: readonly ApiRoute[] = [
  { path: '/api/generate', methods: ['POST'], access: 'private', generates: true },
  { path: '/api/jobs/:id', methods: ['GET'], access: 'private' },
  { path: '/api/loras', methods: ['GET'], access: 'private' },
  { path: '/api/jobs/:id/cancel', methods: ['POST'], access: 'private' },
  { path: '/api/jobs/:id/events', methods: ['GET'], access: 'private' },
  { path: '/api/comparisons', methods: ['POST'], access: 'private', generates: true },
  { path: '/api/comparisons/:id', methods: ['GET'], access: 'public' },
  { path: '/api/models/:id/audit', methods: ['GET'], access: 'private' },
  { path: '/api/results', methods: ['GET'], access: 'private' },
  { path: '/api/results/:id', methods: ['GET', 'DELETE'], access: 'private' },
  { path: '/api/results/:id/favourite', methods: ['POST'], access: 'private' },
  { path: '/api/results/:id/image', methods: ['GET'], access: 'public' },
  { path: '/api/results/:id/image.png', methods: ['GET'], access: 'public' },
  { path: '/api/results/:id/og.jpg', methods: ['GET'], access: 'public' },
  { path: '/api/results/:id/thumbnail', methods: ['GET'], access: 'public' },
  { path: '/api/results/:id/thumbnail.png', methods: ['GET'], access: 'public' },
  { path: '/api/session', methods: ['POST', 'DELETE'], access: 'session' },
  { path: '/api/system', methods: ['GET'], access: 'private' },
  { path: '/sdapi/v1/sd-models', methods: ['GET'], access: 'private' },
  { path: '/sdapi/v1/refresh-checkpoints', methods: ['POST'], access: 'private' },
  { path: '/sdapi/v1/options', methods: ['GET', 'POST'], access: 'private' },
  { path: '/sdapi/v1/samplers', methods: ['GET'], access: 'private' },
  { path: '/sdapi/v1/schedulers', methods: ['GET'], access: 'private' },
  { path: '/sdapi/v1/upscalers', methods: ['GET'], access: 'private' },
  { path: '/sdapi/v1/latent-upscale-modes', methods: ['GET'], access: 'private' },
  { path: '/sdapi/v1/sd-vae', methods: ['GET'], access: 'private' },
  { path: '/sdapi/v1/embeddings', methods: ['GET'], access: 'private' },
  { path: '/sdapi/v1/scripts', methods: ['GET'], access: 'private' },
  { path: '/sdapi/v1/cmd-flags', methods: ['GET'], access: 'private' },
  { path: '/sdapi/v1/progress', methods: ['GET'], access: 'private' },
  { path: '/sdapi/v1/interrupt', methods: ['POST'], access: 'private' },
  { path: '/sdapi/v1/skip', methods: ['POST'], access: 'private' },
  { path: '/sdapi/v1/png-info', methods: ['POST'], access: 'private', maxBodyBytes: MAX_IMAGE_BODY_BYTES },
  { path: '/sdapi/v1/loras', methods: ['GET'], access: 'private' },
  { path: '/api/tokens', methods: ['POST'], access: 'private' },
  { path: '/sdapi/v1/txt2img', methods: ['POST'], access: 'private', generates: true },
  { path: '/v1/images/generations', methods: ['POST'], access: 'private', generates: true },
  { path: '/v1/models', methods: ['GET'], access: 'private' },
  { path: '/v1/models/:id', methods: ['GET'], access: 'private' },
  // image input (lib/images): uploads by their own route; the generation routes that take an image file
  { path: '/api/uploads', methods: ['POST'], access: 'private', maxBodyBytes: MAX_IMAGE_BODY_BYTES },
  { path: '/api/uploads/:id/image.png', methods: ['GET'], access: 'private' },
  { path: '/api/results/:id/source.png', methods: ['GET'], access: 'public' },
  { path: '/sdapi/v1/img2img', methods: ['POST'], access: 'private', generates: true, maxBodyBytes: MAX_IMAGE_BODY_BYTES },
  { path: '/v1/images/edits', methods: ['POST'], access: 'private', generates: true, maxBodyBytes: MAX_IMAGE_BODY_BYTES },
  { path: '/v1/images/variations', methods: ['POST'], access: 'private', generates: true, maxBodyBytes: MAX_IMAGE_BODY_BYTES },
];

/** Paths under these prefixes are API calls: answered with JSON errors, never with an HTML page. */
export const API_PREFIXES = ['/api/', '/v1/', '/sdapi/'] as const;

export function isApiPath(pathname: string): boolean {
  return API_PREFIXES.some((prefix) => pathname.startsWith(prefix) || pathname === prefix.slice(0, -1));
}

/** The route a (still percent-encoded) path belongs to, or undefined. */
export function matchApiRoute(pathname: string): ApiRoute | undefined {
  const segments = pathname.replace(/\/+$/, '').split('/');
  return API_ROUTES.find((route) => {
    const pattern = route.path.split('/');
    return pattern.length === segments.length && pattern.every((part, index) => part === ':id' ? segments[index] !== '' : part === segments[index]);
  });
}

/**
 * Pages anyone may open: a result's share page and a comparison's (their ids are the capability), the sign-in page
 * and the site icon.
 */
export function isPublicPage(pathname: string): boolean {
  return pathname === '/login' || pathname === '/icon.svg' || /^\/[rc]\/[^/]+$/.test(pathname);
}
