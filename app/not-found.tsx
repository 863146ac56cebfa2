// The 404 page, mostly reached through a mistyped or deleted share link.
export default function NotFound() {
  return (
    <main className="mx-auto max-w-xl p-8 text-center">
      <h1 className="text-lg font-semibold text-zinc-100">Not found</h1>
      <p className="mt-2 text-sm leading-relaxed text-zinc-400">
        This result does not exist: the link may be mistyped (share links are 22 characters after /r/) or the result
        was deleted from the history.
      </p>
      <a href="/" className="mt-4 inline-block text-sm text-indigo-300 underline underline-offset-2">
        Back to the studio
      </a>
    </main>
  );
}
