// Next.js settings for the studio. onnxruntime-node and better-sqlite3 load native addons, so they stay external
// (required from node_modules at run time) instead of being bundled into the server chunks. The headers below go on
// every response, static files included; the Content-Security-Policy varies per response and is set by proxy.ts.
/** @type {import('next').NextConfig} */
const nextConfig = {
  // `npm run pack:host` (scripts/pack-host.mjs) sets ZIMAGE_STANDALONE=1: a self-contained server (server.js + the
  // node_modules it traces) for a machine without npm, built into its own folder so it never clobbers `npm start`'s.
  ...(process.env.ZIMAGE_STANDALONE === '1' ? { output: 'standalone', distDir: '.next-host' } : {}),
  // bullmq loads ioredis with a run-time require() a bundler cannot follow, so both stay external too.
  serverExternalPackages: ['onnxruntime-node', 'onnxruntime-common', 'better-sqlite3', 'bullmq', 'ioredis'],
  poweredByHeader: false,
  experimental: {
    // The proxy buffers at most this much of a body and hands the route only that much: the image routes' limit
    // (MAX_IMAGE_BODY_BYTES in lib/api/routes.ts; PNG Info, img2img). server.ts refuses a declared Content-Length over a
    // route's own limit before Next.js reads it, and routes stop reading past their limit (256 KiB for JSON).
    proxyClientMaxBodySize: '48mb',
  },
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'X-Frame-Options', value: 'DENY' },
          // Share links carry the result id: never hand them to another site in a Referer.
          { key: 'Referrer-Policy', value: 'same-origin' },
          { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
          { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), browsing-topics=()' },
        ],
      },
    ];
  },
};

export default nextConfig;
