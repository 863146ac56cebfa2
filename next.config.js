// Next.js settings for the studio. onnxruntime-node and better-sqlite3 load native addons, so they stay external
// (required from node_modules at run time) instead of being bundled into the server chunks.
/** @type {import('next').NextConfig} */
const nextConfig = {
  serverExternalPackages: ['onnxruntime-node', 'onnxruntime-common', 'better-sqlite3'],
  poweredByHeader: false,
};

export default nextConfig;
