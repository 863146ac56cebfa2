// A full-page explanation when the server cannot start its studio (bad environment, unwritable DATA_DIR).
// Rendered on the server so the real message reaches the user; production error pages would hide it.
export function ServerProblem({ title, message }: { title: string; message: string }) {
  return (
    <main className="mx-auto max-w-2xl p-8">
      <div role="alert" className="rounded-lg border border-rose-500/40 bg-rose-500/[0.08] p-5">
        <h1 className="text-base font-semibold text-rose-100">{title}</h1>
        <p className="mt-2 text-sm leading-relaxed text-zinc-300">{message}</p>
      </div>
    </main>
  );
}
