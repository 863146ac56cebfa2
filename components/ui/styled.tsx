'use client';
// Elements whose style is computed from data (progress and share bars, an image's aspect ratio, the compare split):
// the values are written through the CSSOM (element.style.setProperty) after mount, never as a style attribute in
// the HTML. The pages' Content-Security-Policy has no 'unsafe-inline' in style-src, which blocks style attributes in
// server-rendered markup but not CSSOM writes. Deliberately tiny: class names do everything that is not data.
import { useLayoutEffect, useRef, type ComponentPropsWithoutRef, type ElementType } from 'react';

/** CSS property names as CSS spells them ('width', 'clip-path', '--frame-aspect') → values. */
export type CssValues = Record<string, string>;

/** A ref that keeps the element's inline style in step with `values` (set on change, removed on unmount). */
export function useCssValues<T extends HTMLElement>(values: CssValues) {
  const ref = useRef<T>(null);
  const key = JSON.stringify(values);
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return;
    const entries = Object.entries(JSON.parse(key) as CssValues);
    for (const [name, value] of entries) element.style.setProperty(name, value);
    return () => {
      for (const [name] of entries) element.style.removeProperty(name);
    };
  }, [key]);
  return ref;
}

type Tag = 'div' | 'span' | 'figure' | 'img';

/** `<Styled as="div" css={{ width: '40%' }} className=… />`: any of a few tags with data-driven CSS values. */
export function Styled<T extends Tag>({ as, css, ...props }: { as: T; css: CssValues } & Omit<ComponentPropsWithoutRef<T>, 'style'>) {
  const ref = useCssValues<HTMLElement>(css);
  const Element = as as ElementType;
  return <Element ref={ref} {...props} />;
}
