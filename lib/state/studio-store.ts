// The studio's client state: four zustand slices (system, params, generation, gallery) combined into one store that
// each <StudioProvider> creates for itself (no module-level store, so server renders never share state).
// It holds UI state only: job snapshots and result records as JSON. Live SSE connections are kept beside the store
// in a closure, never in it, and no pixel data is ever held (images load by URL).
import { createStore, type StateCreator } from 'zustand/vanilla';
import type { Precision } from '../../inference/pipeline/types.ts';
import { variantSpec } from '../../inference/models/variants.ts';
import { api, ApiError, followJob } from '../client/api.ts';
import type { ApiErrorBody } from '../errors.ts';
import { paramFieldErrors, randomSeed, type ParamPreset } from '../params.ts';
import { defaultPrecision, precisionOptions } from '../precision.ts';
import type { ResultRecord } from '../results.ts';
import type { ModelInfo, StudioJob, SystemResponse } from '../system.ts';
import { formFromResult, formToInput, initialForm, type FormParams } from './form.ts';

export interface SystemSlice {
  system: SystemResponse | null;
  systemError: ApiErrorBody | null;
}

export interface ParamsSlice {
  form: FormParams;
  /** Set by a Generate press, so "prompt is empty" shows only after the user tried. */
  attempted: boolean;
  /** Off (the default, like ComfyUI's "randomize after generate"): each queued run gets a fresh seed afterwards. */
  keepSeed: boolean;
  setKeepSeed: (keep: boolean) => void;
  setField: <K extends keyof FormParams>(key: K, value: FormParams[K]) => void;
  setSize: (width: number, height: number) => void;
  setModel: (modelId: string) => void;
  applyPreset: (preset: ParamPreset) => void;
  randomizeSeed: () => void;
  reuse: (record: ResultRecord) => void;
}

export interface GenerationSlice {
  /** This session's jobs, newest first: waiting, running, and ended ones until cleared. */
  jobs: StudioJob[];
  submitting: boolean;
  submitError: ApiErrorBody | null;
  lostJobs: Record<string, ApiErrorBody>;
  submit: () => Promise<void>;
  cancel: (jobId: string) => Promise<void>;
  clearEnded: () => void;
}

export interface GallerySlice {
  results: ResultRecord[];
  nextCursor: string | null;
  total: number;
  loadingMore: boolean;
  galleryError: ApiErrorBody | null;
  selectedId: string | null;
  select: (id: string) => void;
  loadMore: () => Promise<void>;
  remove: (id: string) => Promise<void>;
}

export type StudioState = SystemSlice & ParamsSlice & GenerationSlice & GallerySlice;

export interface StudioInit {
  system: SystemResponse | null;
  systemError: ApiErrorBody | null;
  results: { items: ResultRecord[]; nextCursor: string | null; total: number };
  /** A result whose settings the form starts from (/?from=<id>). */
  reuse?: ResultRecord | null;
  /** Picked on the server so the first render and hydration agree. */
  seed: number;
}

type Slice<T> = StateCreator<StudioState, [], [], T>;

function errorBodyOf(error: unknown): ApiErrorBody {
  return error instanceof ApiError ? error.body : { code: 'client', message: String(error) };
}

export function modelById(system: SystemResponse | null, id: string | null): ModelInfo | undefined {
  return system?.models.find((model) => model.id === id);
}

/** The precision to keep for a model: the current one when it can run, else the best available. */
function precisionFor(system: SystemResponse | null, model: ModelInfo | undefined, current: Precision | null): Precision | null {
  if (!system || !model) return current;
  const options = precisionOptions(system.system.precisions, model);
  if (current && options.some((option) => option.precision === current && option.available)) return current;
  return defaultPrecision(options) ?? null;
}

/** A model trained at one size (the embedded demo) starts the form at that size; other models leave it alone. */
function atNativeSize(form: FormParams, model: ModelInfo | undefined): FormParams {
  const size = model?.demo?.nativeSize;
  return size ? { ...form, width: String(size), height: String(size) } : form;
}

/** Points the form at a model that exists (else the default) and a precision that model can run here. */
function fitToSystem(form: FormParams, system: SystemResponse | null): FormParams {
  const model = modelById(system, form.model) ?? modelById(system, system?.defaultModel ?? null);
  return { ...form, model: model?.id ?? null, precision: precisionFor(system, model, form.precision) };
}

const createParamsSlice = (form: FormParams, keepSeed: boolean): Slice<ParamsSlice> => (set, get) => ({
  form,
  attempted: false,
  keepSeed,
  setKeepSeed: (keepSeed) => set({ keepSeed }),
  setField: (key, value) => set((state) => ({ form: { ...state.form, [key]: value } })),
  setSize: (width, height) => set((state) => ({ form: { ...state.form, width: String(width), height: String(height) } })),
  setModel: (modelId) => {
    const { system, form } = get();
    const next = modelById(system, modelId);
    const variant = next?.variant;
    // Another variant was made for other sampling: take its defaults (Turbo's 8 steps / CFG 1 would ruin base).
    const defaults = variant !== modelById(system, form.model)?.variant ? variantSpec(variant) : undefined;
    set({ form: atNativeSize({ ...form, model: modelId, precision: precisionFor(system, next, form.precision), ...(defaults ? { steps: String(defaults.steps), cfg: String(defaults.cfg) } : {}) }, next) });
  },
  applyPreset: (preset) => set((state) => ({ form: { ...state.form, steps: String(preset.steps), cfg: String(preset.cfg) } })),
  randomizeSeed: () => set((state) => ({ form: { ...state.form, seed: String(randomSeed()) } })),
  // A model that is gone falls back to the default; a precision it lacks, to the best one available.
  // Reusing means reproducing, so the seed is kept until the user lets go of it.
  reuse: (record) => set({ form: fitToSystem(formFromResult(record), get().system), attempted: false, keepSeed: true }),
});

function createGenerationSlice(streams: Map<string, () => void>): Slice<GenerationSlice> {
  return (set, get) => {
    /** Applies a snapshot unless an equal or newer one is already held (SSE and POST answers can cross). */
    const applyJob = (job: StudioJob) => {
      const jobs = get().jobs;
      const index = jobs.findIndex((entry) => entry.id === job.id);
      if (index >= 0 && jobs[index].version >= job.version) return;
      const next = index >= 0 ? jobs.map((entry, at) => (at === index ? job : entry)) : [job, ...jobs];
      set({ jobs: next });
      if (job.status === 'succeeded' && job.output) addResult(job.output);
    };

    const addResult = (record: ResultRecord) => {
      const { results, total } = get();
      if (results.some((entry) => entry.id === record.id)) return;
      set({ results: [record, ...results], total: total + 1, selectedId: record.id });
    };

    const follow = (jobId: string) => {
      if (streams.has(jobId)) return;
      const stop = followJob(jobId, {
        onJob: (job) => {
          applyJob(job);
          if (job.status === 'succeeded' || job.status === 'failed' || job.status === 'canceled') streams.delete(jobId);
        },
        onLost: (error) => {
          streams.delete(jobId);
          set((state) => ({ lostJobs: { ...state.lostJobs, [jobId]: error } }));
        },
      });
      streams.set(jobId, stop);
    };

    return {
      jobs: [],
      submitting: false,
      submitError: null,
      lostJobs: {},
      submit: async () => {
        const input = formToInput(get().form);
        set({ attempted: true, submitError: null });
        // Invalid settings never reach the server: the inline errors already say what to fix.
        if (Object.keys(paramFieldErrors(input)).length > 0) return;
        set({ submitting: true });
        try {
          const { job } = await api.generate(input);
          applyJob(job);
          follow(job.id);
          if (!get().keepSeed) get().randomizeSeed();
        } catch (error) {
          set({ submitError: errorBodyOf(error) });
        } finally {
          set({ submitting: false });
        }
      },
      cancel: async (jobId) => {
        try {
          applyJob((await api.cancel(jobId)).job);
        } catch (error) {
          set({ submitError: errorBodyOf(error) });
        }
      },
      clearEnded: () =>
        set((state) => ({ jobs: state.jobs.filter((job) => job.status === 'queued' || job.status === 'running') })),
    };
  };
}

const createGallerySlice: Slice<GallerySlice> = (set, get) => ({
  results: [],
  nextCursor: null,
  total: 0,
  loadingMore: false,
  galleryError: null,
  selectedId: null,
  select: (id) => set({ selectedId: id }),
  loadMore: async () => {
    const { nextCursor, loadingMore } = get();
    if (!nextCursor || loadingMore) return;
    set({ loadingMore: true, galleryError: null });
    try {
      const page = await api.results(nextCursor);
      const known = new Set(get().results.map((result) => result.id));
      set((state) => ({
        results: [...state.results, ...page.items.filter((item) => !known.has(item.id))],
        nextCursor: page.nextCursor,
        total: page.total,
      }));
    } catch (error) {
      set({ galleryError: errorBodyOf(error) });
    } finally {
      set({ loadingMore: false });
    }
  },
  remove: async (id) => {
    try {
      await api.deleteResult(id);
      set((state) => ({
        results: state.results.filter((result) => result.id !== id),
        total: Math.max(0, state.total - 1),
        selectedId: state.selectedId === id ? null : state.selectedId,
      }));
    } catch (error) {
      set({ galleryError: errorBodyOf(error) });
    }
  },
});

export type StudioStore = ReturnType<typeof createStudioStore>;

export function createStudioStore(init: StudioInit) {
  const streams = new Map<string, () => void>();
  // The whole first state is built before the store exists: server renders read the store's initial state, so a
  // later setState would make the server HTML and the browser disagree.
  const fitted = fitToSystem(init.reuse ? formFromResult(init.reuse) : initialForm(init.seed), init.system);
  // A fresh form starts from the default model's variant's settings (Z-Image base: 50 steps, CFG 5), and at the
  // model's native size when it has one (the embedded demo).
  const start = init.reuse ? undefined : variantSpec(modelById(init.system, fitted.model)?.variant);
  const withVariant = start ? { ...fitted, steps: String(start.steps), cfg: String(start.cfg) } : fitted;
  const form = init.reuse ? withVariant : atNativeSize(withVariant, modelById(init.system, withVariant.model));
  const store = createStore<StudioState>()((...args) => ({
    system: init.system,
    systemError: init.systemError,
    // Starting from a shared result (/?from=<id>) keeps its seed, like "Reuse settings".
    ...createParamsSlice(form, Boolean(init.reuse))(...args),
    ...createGenerationSlice(streams)(...args),
    ...createGallerySlice(...args),
    results: init.results.items,
    nextCursor: init.results.nextCursor,
    total: init.results.total,
  }));
  return Object.assign(store, {
    /** Closes every live SSE connection (the provider unmounts). */
    dispose: () => {
      for (const stop of streams.values()) stop();
      streams.clear();
    },
  });
}
