// The image-input slice of the studio store: the uploaded source (its id, size and the model size it is worked at,
// never its pixels), the strength, the mask settings, and the mask editor's export function (registered by the
// component; the mask's pixels stay in its canvas until a Generate press uploads them as a PNG). Also the request's
// `image` field from all that. Deliberately no React: components/controls/image-section.tsx draws it.
import type { StateCreator } from 'zustand/vanilla';
import { api, ApiError, type UploadAnswer } from '../client/api.ts';
import type { ApiErrorBody } from '../errors.ts';
import type { GenerationParamsInput } from '../params.ts';

export interface ImageSlice {
  source: (UploadAnswer & { name: string }) | null;
  strength: number;
  maskBlur: number;
  onlyMasked: boolean;
  uploading: boolean;
  imageError: ApiErrorBody | null;
  /** The mask editor's PNG export (null when nothing is painted), registered while the editor is mounted. */
  maskExport: (() => Promise<Blob | null>) | null;
  setSourceFile: (file: Blob, name: string) => Promise<void>;
  clearSource: () => void;
  setStrength: (strength: number) => void;
  setMaskBlur: (blur: number) => void;
  setOnlyMasked: (on: boolean) => void;
  setMaskExport: (fn: (() => Promise<Blob | null>) | null) => void;
  /** The request's image field: the source, and the painted mask uploaded now. */
  imageParams: () => Promise<GenerationParamsInput['image']>;
}

/** What the strength slider says about where it is. */
export function strengthGuidance(strength: number): string {
  if (strength >= 1) return '1: everything is repainted (the same as text-to-image for this seed; the image is ignored outside a mask).';
  if (strength >= 0.7) return 'Strong: the layout and colours stay, the content changes.';
  if (strength >= 0.4) return 'Medium: the composition stays, details and style change.';
  return 'Subtle: a light touch-up; the image stays almost as it is.';
}

type Deps = { setSize: (width: number, height: number) => void };

export const createImageSlice = <S extends ImageSlice & Deps>(): StateCreator<S, [], [], ImageSlice> => (set, get) => ({
  source: null,
  strength: 0.6,
  maskBlur: 4,
  onlyMasked: false,
  uploading: false,
  imageError: null,
  maskExport: null,
  setSourceFile: async (file, name) => {
    set({ uploading: true, imageError: null } as Partial<S>);
    try {
      const answer = await api.upload(file, 'image');
      set({ source: { ...answer, name } } as Partial<S>);
      get().setSize(answer.modelSize.width, answer.modelSize.height);
    } catch (error) {
      set({ imageError: error instanceof ApiError ? error.body : { code: 'client', message: String(error) } } as Partial<S>);
    } finally {
      set({ uploading: false } as Partial<S>);
    }
  },
  clearSource: () => set({ source: null, imageError: null } as Partial<S>),
  setStrength: (strength) => set({ strength } as Partial<S>),
  setMaskBlur: (maskBlur) => set({ maskBlur } as Partial<S>),
  setOnlyMasked: (onlyMasked) => set({ onlyMasked } as Partial<S>),
  setMaskExport: (maskExport) => set({ maskExport } as Partial<S>),
  imageParams: async () => {
    const { source, strength, maskBlur, onlyMasked, maskExport } = get();
    if (!source) return undefined;
    const blob = maskExport ? await maskExport() : null;
    const mask = blob ? (await api.upload(blob, 'mask')).id : undefined;
    return {
      source: { upload: source.id },
      strength,
      ...(mask ? { mask, maskBlur, ...(onlyMasked ? { onlyMasked: { padding: 32 } } : {}) } : {}),
    };
  },
});
