// PostCSS runs Tailwind v4 for app/globals.css; nothing else (Tailwind v4 handles prefixes and nesting).
export default {
  plugins: { '@tailwindcss/postcss': {} },
};
