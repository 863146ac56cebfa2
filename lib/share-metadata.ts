// The head tags of the public share pages (/r/<id>, /c/<id>): unlisted (reachable by link only, kept out of search
// indexes), with Open Graph tags whose URLs are absolute so link previews work, and a Twitter card when asked.
import type { Metadata } from 'next';

type OgImage = { url: string; width: number; height: number; alt?: string; type?: string };

export function sharePageMetadata(page: { title: string; description: string; url: string; images: OgImage[]; twitterImage?: string }): Metadata {
  const { title, description, url, images, twitterImage } = page;
  return {
    title,
    description,
    robots: { index: false, follow: false },
    openGraph: { type: 'website', siteName: 'Z-Image BF16 Studio', title, description, url, images },
    ...(twitterImage ? { twitter: { card: 'summary_large_image', title, description, images: [twitterImage] } } : {}),
  };
}
