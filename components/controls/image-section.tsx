'use client';
// The "Start from an image" section: drop, paste or choose a PNG/JPEG/WebP (uploaded at once; the server says the
// size it will be worked at), a strength slider with what each range does, and a mask brush over the image (size,
// eraser, invert, clear) for inpainting, with mask blur and "only masked". The mask is painted on a canvas the size
// of the source and uploaded as a PNG (white = repaint) when Generate is pressed.
// Deliberately keeps no pixels in the store: the canvas holds the mask, the store only its export function; no style
// attribute either (the CSP forbids them): the frame's aspect ratio goes through components/ui/styled.tsx.
import { useCallback, useEffect, useRef, useState } from 'react';
import { strengthGuidance } from '@/lib/state/image-slice.ts';
import { useStudio } from '@/lib/state/provider.tsx';
import { Callout, FieldError, Hint, Label, Section, buttonClass } from '@/components/ui/primitives.tsx';
import { Styled } from '@/components/ui/styled.tsx';

const ACCEPT = 'image/png,image/jpeg,image/webp';

export function ImageSection() {
  const source = useStudio((state) => state.source);
  const uploading = useStudio((state) => state.uploading);
  const imageError = useStudio((state) => state.imageError);
  const setSourceFile = useStudio((state) => state.setSourceFile);
  const clearSource = useStudio((state) => state.clearSource);
  const strength = useStudio((state) => state.strength);
  const setStrength = useStudio((state) => state.setStrength);
  const [dragging, setDragging] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);

  const take = useCallback((file: File | null | undefined) => {
    if (file) void setSourceFile(file, file.name || 'pasted image');
  }, [setSourceFile]);

  // Paste anywhere on the page (outside text fields) takes an image from the clipboard.
  useEffect(() => {
    const onPaste = (event: ClipboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target && (target.tagName === 'TEXTAREA' || target.tagName === 'INPUT')) return;
      const file = [...(event.clipboardData?.files ?? [])].find((f) => f.type.startsWith('image/'));
      if (file) { event.preventDefault(); take(file); }
    };
    window.addEventListener('paste', onPaste);
    return () => window.removeEventListener('paste', onPaste);
  }, [take]);

  return (
    <Section title="Start from an image" aside={source ? <button type="button" className={buttonClass.ghost} onClick={clearSource}>Remove</button> : undefined}>
      {!source && (
        <div
          data-testid="image-drop"
          className={`rounded-md border border-dashed px-3 py-4 text-center text-xs ${dragging ? 'border-indigo-400 bg-indigo-500/10 text-indigo-200' : 'border-zinc-700 text-zinc-400'}`}
          onDragOver={(event) => { event.preventDefault(); setDragging(true); }}
          onDragLeave={() => setDragging(false)}
          onDrop={(event) => { event.preventDefault(); setDragging(false); take(event.dataTransfer.files[0]); }}
        >
          <p>Drop or paste a PNG, JPEG or WebP here (up to 20 MiB), or</p>
          <button type="button" className={`${buttonClass.secondary} mt-2`} onClick={() => fileInput.current?.click()} disabled={uploading}>
            {uploading ? 'Uploading…' : 'Choose an image'}
          </button>
          <input ref={fileInput} type="file" accept={ACCEPT} className="sr-only" aria-label="Source image file" data-testid="image-file" onChange={(event) => take(event.target.files?.[0])} />
        </div>
      )}
      {imageError && (
        <Callout tone="error" title="The image was refused">
          {imageError.message}
          {imageError.hint && <span className="block text-zinc-400">{imageError.hint}</span>}
        </Callout>
      )}
      {source && (
        <>
          <p className="text-xs text-zinc-400" data-testid="image-size-note">
            {source.name}: {source.modelSize.note}
          </p>
          <MaskEditor key={source.id} url={source.url} width={source.width} height={source.height} />
          <div className="space-y-1.5">
            <Label htmlFor="strength" aside={strength.toFixed(2)}>Strength</Label>
            <input id="strength" type="range" min={0.05} max={1} step={0.05} value={strength} className="w-full accent-indigo-400" aria-describedby="strength-hint" onChange={(event) => setStrength(Number(event.target.value))} />
            <Hint id="strength-hint">{strengthGuidance(strength)}</Hint>
          </div>
        </>
      )}
    </Section>
  );
}

/** The source with a paintable mask over it. Painted = repaint; the export is white where painted, black elsewhere. */
function MaskEditor({ url, width, height }: { url: string; width: number; height: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [brush, setBrush] = useState(Math.max(8, Math.round(Math.max(width, height) / 20)));
  const [erasing, setErasing] = useState(false);
  const [painted, setPainted] = useState(false);
  const maskBlur = useStudio((state) => state.maskBlur);
  const setMaskBlur = useStudio((state) => state.setMaskBlur);
  const onlyMasked = useStudio((state) => state.onlyMasked);
  const setOnlyMasked = useStudio((state) => state.setOnlyMasked);
  const setMaskExport = useStudio((state) => state.setMaskExport);
  const drawing = useRef<{ x: number; y: number } | null>(null);

  const hasPaint = () => {
    const ctx = canvas.current?.getContext('2d');
    if (!ctx) return false;
    const data = ctx.getImageData(0, 0, width, height).data;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) return true;
    return false;
  };

  useEffect(() => {
    setMaskExport(async () => {
      const c = canvas.current;
      if (!c || !hasPaint()) return null;
      const out = document.createElement('canvas');
      out.width = width;
      out.height = height;
      const ctx = out.getContext('2d')!;
      const src = c.getContext('2d')!.getImageData(0, 0, width, height);
      const img = ctx.createImageData(width, height);
      for (let i = 0; i < src.data.length; i += 4) {
        const v = src.data[i + 3] > 0 ? 255 : 0;
        img.data[i] = img.data[i + 1] = img.data[i + 2] = v;
        img.data[i + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
      return new Promise<Blob | null>((resolve) => out.toBlob(resolve, 'image/png'));
    });
    return () => setMaskExport(null);
  }, [setMaskExport, width, height]);

  const point = (event: React.PointerEvent<HTMLCanvasElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    return { x: ((event.clientX - rect.left) / rect.width) * width, y: ((event.clientY - rect.top) / rect.height) * height };
  };
  const stroke = (from: { x: number; y: number }, to: { x: number; y: number }) => {
    const ctx = canvas.current!.getContext('2d')!;
    ctx.globalCompositeOperation = erasing ? 'destination-out' : 'source-over';
    ctx.strokeStyle = 'rgba(244, 63, 94, 0.55)';
    ctx.lineWidth = brush;
    ctx.lineCap = 'round';
    ctx.beginPath();
    ctx.moveTo(from.x, from.y);
    ctx.lineTo(to.x, to.y);
    ctx.stroke();
  };
  const invert = () => {
    const ctx = canvas.current!.getContext('2d')!;
    const img = ctx.getImageData(0, 0, width, height);
    for (let i = 0; i < img.data.length; i += 4) {
      const on = img.data[i + 3] > 0;
      img.data[i] = 244; img.data[i + 1] = 63; img.data[i + 2] = 94;
      img.data[i + 3] = on ? 0 : 140;
    }
    ctx.putImageData(img, 0, 0);
    setPainted(hasPaint());
  };
  const clear = () => {
    canvas.current!.getContext('2d')!.clearRect(0, 0, width, height);
    setPainted(false);
  };

  return (
    <div className="space-y-2">
      <Styled as="div" className="relative aspect-(--frame-aspect) overflow-hidden rounded-md border border-zinc-800" css={{ '--frame-aspect': `${width} / ${height}` }}>
        <img src={url} alt="Source image" className="absolute inset-0 h-full w-full object-fill" draggable={false} data-testid="source-preview" />
        <canvas
          ref={canvas}
          width={width}
          height={height}
          data-testid="mask-canvas"
          aria-label="Mask: paint the region to repaint"
          className="absolute inset-0 h-full w-full cursor-crosshair touch-none"
          onPointerDown={(event) => { event.currentTarget.setPointerCapture(event.pointerId); const p = point(event); drawing.current = p; stroke(p, p); setPainted(true); }}
          onPointerMove={(event) => { if (!drawing.current) return; const p = point(event); stroke(drawing.current, p); drawing.current = p; }}
          onPointerUp={() => { drawing.current = null; setPainted(hasPaint()); }}
        />
      </Styled>
      <div className="flex flex-wrap items-center gap-1.5" role="group" aria-label="Mask brush">
        <label className="flex items-center gap-1 text-xs text-zinc-400">
          Brush
          <input type="range" min={2} max={Math.max(16, Math.round(Math.max(width, height) / 4))} value={brush} aria-label="Brush size" onChange={(event) => setBrush(Number(event.target.value))} className="w-20 accent-rose-400" />
        </label>
        <button type="button" className={buttonClass.secondary} aria-pressed={erasing} onClick={() => setErasing((e) => !e)}>{erasing ? 'Eraser on' : 'Eraser'}</button>
        <button type="button" className={buttonClass.secondary} onClick={invert}>Invert</button>
        <button type="button" className={buttonClass.secondary} onClick={clear}>Clear mask</button>
      </div>
      {painted ? (
        <div className="space-y-1.5" data-testid="mask-settings">
          <Hint>Inpainting: the painted region is repainted; every pixel outside the blurred mask stays exactly as it is.</Hint>
          <label className="flex items-center justify-between gap-2 text-xs text-zinc-300">
            Mask blur {maskBlur} px
            <input type="range" min={0} max={32} value={maskBlur} aria-label="Mask blur" onChange={(event) => setMaskBlur(Number(event.target.value))} className="w-28 accent-indigo-400" />
          </label>
          <label className="flex items-center gap-2 text-xs text-zinc-300">
            <input type="checkbox" checked={onlyMasked} onChange={(event) => setOnlyMasked(event.target.checked)} />
            Inpaint only the masked area (at full resolution, pasted back)
          </label>
        </div>
      ) : (
        <Hint>Paint over the image to inpaint a region; leave it unpainted to vary the whole image.</Hint>
      )}
      {!painted && onlyMasked && <FieldError id="only-masked-error">“Only masked” needs a painted mask.</FieldError>}
    </div>
  );
}
