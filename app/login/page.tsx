// /login: the browser's way in when the studio requires ZIMAGE_API_TOKEN. A plain HTML form (works without
// JavaScript) posts the token to /api/session, which sets the session cookie and returns to the page asked for.
// Without a token configured there is nothing to sign in to, so the page sends the visitor to the studio.
import { redirect } from 'next/navigation';
import { buttonClass, inputClass } from '@/components/ui/primitives.tsx';
import { getEnv } from '@/lib/env.ts';
import { accessPolicy, safeNextPath } from '@/lib/server/access.ts';

export const dynamic = 'force-dynamic';

export const metadata = { title: 'Sign in · Z-Image BF16 Studio', robots: { index: false, follow: false } };

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { next, error } = await searchParams;
  const target = safeNextPath(next);
  if (accessPolicy(getEnv()).mode !== 'token') redirect(target);
  return (
    <main className="mx-auto max-w-sm p-8">
      <h1 className="text-base font-semibold text-zinc-100">Z-Image BF16 Studio</h1>
      <p className="mt-2 text-sm leading-relaxed text-zinc-400">
        This studio is reachable from the network, so it asks for its API token (the server&apos;s ZIMAGE_API_TOKEN).
      </p>
      <form method="post" action="/api/session" className="mt-5 space-y-3">
        <input type="hidden" name="next" value={target} />
        <label className="block space-y-1.5">
          <span className="text-xs font-medium text-zinc-300">API token</span>
          <input className={inputClass} type="password" name="token" autoComplete="current-password" required autoFocus />
        </label>
        {error !== undefined && (
          <p role="alert" className="text-xs text-rose-300">
            That is not the token. Check ZIMAGE_API_TOKEN on the server and try again.
          </p>
        )}
        <button type="submit" className={buttonClass.primary}>
          Sign in
        </button>
      </form>
    </main>
  );
}
