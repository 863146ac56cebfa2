// Root layout: dark document shell and the default metadata. Deliberately no client providers here: the studio
// page mounts its own store provider, and the share page renders on the server without one.
import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import './globals.css';

export const metadata: Metadata = {
  title: 'Z-Image BF16 Studio',
  description: 'Text-to-image portraits with Z-Image-Turbo on onnxruntime-node, with the precision actually run shown on every image.',
};

export const viewport: Viewport = {
  themeColor: '#09090b',
  colorScheme: 'dark',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="bg-zinc-950 text-zinc-100 antialiased">{children}</body>
    </html>
  );
}
