// GET /api/results/:id/image: the same PNG as /image.png, for clients that build URLs without an extension.
export { GET } from '../image.png/route.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';
