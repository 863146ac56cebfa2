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
}

/** Largest request body any route reads: two 8000-character prompts escaped as \uXXXX pairs fit with room to spare. */
export const MAX_BODY_BYTES = 256 * 1024;

export const API_ROUTES: readonly ApiRoute[] = [
  { path: '/api/generate', methods: ['POST'], access: 'private', generates: true },
  { path: '/api/jobs/:id', methods: ['GET'], access: 'private' },
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
  { path: '/api/tokens', methods: ['POST'], access: 'private' },
  { path: '/sdapi/v1/txt2img', methods: ['POST'], access: 'private', generates: true },
  { path: '/v1/images/generations', methods: ['POST'], access: 'private', generates: true },
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
