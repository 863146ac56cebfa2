// The 404 of a comparison link /c/<id>: it speaks of comparisons (the global 404 speaks of /r/ result links).
export default function ComparisonNotFound() {
  return (
    <main className="mx-auto max-w-xl p-8 text-center">
      <h1 className="text-lg font-semibold text-zinc-100">Comparison not found</h1>
      <p className="mt-2 text-sm leading-relaxed text-zinc-400">
        This comparison does not exist: the link may be mistyped (comparison links are 22 characters after /c/), or the
        result it compared was deleted from the history. Open the result in the studio and press Compare to make a new one.
      </p>
      <a href="/" className="mt-4 inline-block text-sm text-indigo-300 underline underline-offset-2">
        Back to the studio
      </a>
    </main>
  );
}
