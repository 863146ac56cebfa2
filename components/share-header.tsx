// The header of the public share pages (/r/<id>, /c/<id>): the studio's mark and a way back into the studio with
// the shared settings. Deliberately no client state, so server and client pages both render it.
import { ReuseIcon } from '@/components/ui/icons.tsx';
import { Brand, buttonClass } from '@/components/ui/primitives.tsx';

export function ShareHeader({ fromId }: { fromId: string }) {
  return (
    <header className="flex h-12 items-center justify-between gap-3 border-b border-zinc-800 px-4">
      <a href="/" className="flex min-w-0 items-center gap-2.5 text-sm font-semibold text-zinc-100">
        <Brand />
      </a>
      <a href={`/?from=${fromId}`} className={`${buttonClass.secondary} shrink-0`}>
        <ReuseIcon /> <span className="hidden sm:inline">Open in the studio with these settings</span>
        <span className="sm:hidden">Studio</span>
      </a>
    </header>
  );
}
