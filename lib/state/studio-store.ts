// The studio's client state: four zustand slices (system, params, generation, gallery) combined into one store that
// each <StudioProvider> creates for itself (no module-level store, so server renders never share state).
// It holds UI state only: job snapshots and result records as JSON. Live SSE connections are kept beside the store
// in a closure, never in it, and no pixel data is ever held (images load by URL).
import { createStore, type StateCreator } from 'zustand/vanilla';
import { PRECISIONS, type Precision } from '../../inference/pipeline/types.ts';
import { variantSpec } from '../../inference/models/variants.ts';
import type { PngSettings } from '../png-settings.ts';
import { api, ApiError, followJob } from '../client/api.ts';
import type { ApiErrorBody } from '../errors.ts';
import { paramFieldErrors, randomSeed, type GenerationParamsInput, type ParamField, type ParamPreset } from '../params.ts';
import { defaultPrecision, precisionOptions } from '../precision.ts';
import type { ResultRecord } from '../results.ts';
import type { ModelInfo, StudioJob, SystemResponse } from '../system.ts';
import { formFromResult, formToInput, initialForm, type FormParams } from './form.ts';
import { createImageSlice, type ImageSlice } from './image-slice.ts';
import { upscaleParams, varyParams } from './vary.ts';

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
  /** Settings read from a dropped PNG (lib/png-settings.ts): what the file says replaces the form's value. */
  loadSettings: (settings: PngSettings) => void;
}

export interface GenerationSlice {
  /** This session's jobs, newest first: waiting, running, and ended ones until cleared. */
  jobs: StudioJob[];
  submitting: boolean;
  /** Why the last Generate press queued nothing; `refused` says whether the server answered with a refusal. */
  submitError: (ApiErrorBody & { refused: boolean }) | null;
  lostJobs: Record<string, ApiErrorBody>;
  /** Jobs whose live connection is broken right now (the server went away); they are being retried. */
  disconnected: Record<string, true>;
  /** The latest preview of each image of a running job (index = image − 1), shown in its card's grid. */
  previews: Record<string, string[]>;
  /** Bumped by a Generate press that found invalid fields: the form focuses the first one. */
  focusRequest: { field: ParamField; nonce: number } | null;
  submit: () => Promise<void>;
  /** "Vary" (img2img of a result at a subtle or strong strength, new seed) and "Upscale" (×1.5, low strength). */
  vary: (record: ResultRecord, how: 'subtle' | 'strong') => Promise<void>;
  upscale: (record: ResultRecord) => Promise<void>;
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
  /** Bumped when a result is picked or arrives, so the viewer scrolls into view (not on every render). */
  revealNonce: number;
  /** History filters: words in the prompt, and favourites only. */
  query: string;
  favouritesOnly: boolean;
  /** Results ticked for a multi-select delete. */
  checked: string[];
  /** Removed from the list, deleted on the server when the undo window closes. */
  pendingDelete: { records: ResultRecord[]; total: number } | null;
  select: (id: string) => void;
  loadMore: () => Promise<void>;
  remove: (id: string) => Promise<void>;
  setQuery: (query: string) => void;
  setFavouritesOnly: (only: boolean) => void;
  toggleFavourite: (id: string) => Promise<void>;
  toggleChecked: (id: string) => void;
  clearChecked: () => void;
  removeChecked: () => void;
  undoDelete: () => void;
  /** Sends the pending deletes now (the undo window closed, or the page is being left). */
  flushDelete: (options?: { keepalive?: boolean }) => void;
}

export type StudioState = SystemSlice & ParamsSlice & GenerationSlice & GallerySlice & ImageSlice;

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
  loadSettings: (settings) => {
    const form = get().form;
    const text = (value: number | undefined, fallback: string) => (value === undefined ? fallback : String(value));
    const precision = (PRECISIONS as readonly string[]).includes(settings.precision ?? '') ? (settings.precision as Precision) : form.precision;
    const next: FormParams = {
      ...form,
      prompt: settings.prompt,
      negativePrompt: settings.negativePrompt,
      steps: text(settings.steps, form.steps),
      cfg: text(settings.cfg, form.cfg),
      width: text(settings.width, form.width),
      height: text(settings.height, form.height),
      seed: text(settings.seed, form.seed),
      count: '1',
      model: settings.model ?? form.model,
      precision,
    };
    // Like "Reuse settings": the file's seed is kept until the user lets go of it.
    set({ form: fitToSystem(next, get().system), attempted: false, keepSeed: settings.seed !== undefined || get().keepSeed });
  },
});

/** A terminal snapshot always wins over a live one: after a restart the server's versions start again from its record. */
function isEnded(job: StudioJob): boolean {
  return job.status === 'succeeded' || job.status === 'failed' || job.status === 'canceled';
}

/**
 * Whether a snapshot replaces the one held. Within one server process versions order them (an SSE event and a POST
 * answer can cross). Across a restart they do not (the new process answers from its record, with a lower version),
 * so a `fresh` snapshot (the server's state now, after a reconnect) and an end the page has not seen always win;
 * an ended job never goes back to running.
 */
export function replacesHeld(held: StudioJob, incoming: StudioJob, fresh: boolean): boolean {
  if (isEnded(held) && !isEnded(incoming)) return false;
  if (fresh || (isEnded(incoming) && !isEnded(held))) return true;
  return incoming.version > held.version;
}

function createGenerationSlice(streams: Map<string, () => void>): Slice<GenerationSlice> {
  return (set, get) => {
    /**
     * Applies a snapshot unless the one held is newer: SSE and POST answers can cross, so an older version is
     * dropped, except a `fresh` one (the server's state now, after a reconnect) or an end the page has not seen:
     * versions are only comparable within one server process, and a restarted server answers from its record.
     */
    const applyJob = (job: StudioJob, fresh = false) => {
      const jobs = get().jobs;
      const index = jobs.findIndex((entry) => entry.id === job.id);
      if (index >= 0 && !replacesHeld(jobs[index], job, fresh)) return;
      const next = index >= 0 ? jobs.map((entry, at) => (at === index ? job : entry)) : [job, ...jobs];
      const preview = job.status === 'running' ? job.progress?.preview : undefined;
      if (preview) {
        const slot = (job.progress?.image ?? 1) - 1;
        const held = [...(get().previews[job.id] ?? [])];
        held[slot] = preview;
        set({ jobs: next, previews: { ...get().previews, [job.id]: held } });
      } else set({ jobs: next });
      if (job.status === 'succeeded' && job.output) void addBatch(job.output);
    };

    /** The job's output is its first image; the rest of a batch is fetched by the ids its record lists. */
    const addBatch = async (first: ResultRecord) => {
      addResults([first]);
      const others = (first.batch?.ids ?? []).filter((id) => id !== first.id && !get().results.some((entry) => entry.id === id));
      const fetched = await Promise.all(others.map((id) => api.result(id).then(({ result }) => result, () => null)));
      addResults(fetched.filter((record): record is ResultRecord => record !== null));
      set({ selectedId: first.id, revealNonce: get().revealNonce + 1 });
    };

    const addResults = (records: ResultRecord[]) => {
      const { results, total } = get();
      const fresh = records.filter((record) => !results.some((entry) => entry.id === record.id));
      if (fresh.length === 0) return;
      const merged = [...fresh, ...results].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || (a.id < b.id ? 1 : -1));
      set({ results: merged, total: total + fresh.length, selectedId: records[0].id, revealNonce: get().revealNonce + 1 });
    };

    const setDisconnected = (jobId: string, lost: boolean) => {
      const held = get().disconnected;
      if (Boolean(held[jobId]) === lost) return;
      const next = { ...held };
      if (lost) next[jobId] = true;
      else delete next[jobId];
      set({ disconnected: next });
    };

    const follow = (jobId: string) => {
      if (streams.has(jobId)) return;
      const stop = followJob(jobId, {
        onJob: (job, fresh) => {
          applyJob(job, fresh);
          if (isEnded(job)) {
            streams.delete(jobId);
            setDisconnected(jobId, false);
          }
        },
        onLost: (error) => {
          streams.delete(jobId);
          set((state) => ({ lostJobs: { ...state.lostJobs, [jobId]: error } }));
        },
        onConnection: (state) => setDisconnected(jobId, state === 'lost'),
      });
      streams.set(jobId, stop);
    };

    /** Why a job was not queued: a refusal is an answer (4xx); no answer at all is the connection, not the server. */
    const notQueued = (error: unknown) => ({ ...errorBodyOf(error), refused: error instanceof ApiError && error.status > 0 && error.status < 500 });

    /** Queues one job and follows it. */
    const queue = async (input: GenerationParamsInput) => {
      set({ submitting: true, submitError: null });
      try {
        const { job } = await api.generate(input);
        applyJob(job);
        follow(job.id);
      } catch (error) {
        set({ submitError: notQueued(error) });
      } finally {
        set({ submitting: false });
      }
    };

    return {
      jobs: [],
      submitting: false,
      submitError: null,
      lostJobs: {},
      vary: (record, how) => queue(varyParams(record, how, randomSeed())),
      upscale: (record) => queue(upscaleParams(record)),
      disconnected: {},
      previews: {},
      focusRequest: null,
      submit: async () => {
        const input = formToInput(get().form);
        set({ attempted: true, submitError: null });
        // Invalid settings never reach the server: the inline errors already say what to fix, and the first
        // invalid field takes the focus.
        const errors = paramFieldErrors(input);
        const first = FIELD_ORDER.find((field) => errors[field]);
        if (first) {
          set({ focusRequest: { field: first, nonce: (get().focusRequest?.nonce ?? 0) + 1 } });
          return;
        }
        set({ submitting: true });
        try {
          const image = await get().imageParams();
          if (image) input.image = image;
          const { job } = await api.generate(input);
          applyJob(job);
          follow(job.id);
          if (!get().keepSeed) get().randomizeSeed();
        } catch (error) {
          set({ submitError: notQueued(error) });
        } finally {
          set({ submitting: false });
        }
      },
      cancel: async (jobId) => {
        try {
          applyJob((await api.cancel(jobId)).job, false);
        } catch (error) {
          set({ submitError: { ...errorBodyOf(error), refused: false } });
        }
      },
      clearEnded: () =>
        set((state) => ({ jobs: state.jobs.filter((job) => job.status === 'queued' || job.status === 'running') })),
    };
  };
}

/** The form's fields in the order they appear, for "focus the first invalid one". */
const FIELD_ORDER: ParamField[] = ['prompt', 'negativePrompt', 'steps', 'cfg', 'width', 'height', 'count', 'seed'];

/** How long a multi-select delete can be undone before it is sent. */
export const UNDO_MS = 8000;

const createGallerySlice: Slice<GallerySlice> = (set, get) => {
  let undoTimer: ReturnType<typeof setTimeout> | undefined;

  /** Page 1 again with the current filters (a search or the favourites switch changed). */
  let reloadSeq = 0;
  const reload = async () => {
    const seq = ++reloadSeq;
    set({ loadingMore: true, galleryError: null });
    try {
      const { query, favouritesOnly } = get();
      const page = await api.results(null, { q: query.trim() || undefined, favourites: favouritesOnly || undefined });
      if (seq !== reloadSeq) return;
      const hidden = new Set(get().pendingDelete?.records.map((record) => record.id) ?? []);
      set({ results: page.items.filter((item) => !hidden.has(item.id)), nextCursor: page.nextCursor, total: page.total, checked: [] });
    } catch (error) {
      if (seq === reloadSeq) set({ galleryError: errorBodyOf(error) });
    } finally {
      if (seq === reloadSeq) set({ loadingMore: false });
    }
  };
  let searchTimer: ReturnType<typeof setTimeout> | undefined;

  return {
    results: [],
    nextCursor: null,
    total: 0,
    loadingMore: false,
    galleryError: null,
    selectedId: null,
    revealNonce: 0,
    query: '',
    favouritesOnly: false,
    checked: [],
    pendingDelete: null,
    select: (id) => set({ selectedId: id, revealNonce: get().revealNonce + 1 }),
    loadMore: async () => {
      const { nextCursor, loadingMore, query, favouritesOnly } = get();
      if (!nextCursor || loadingMore) return;
      set({ loadingMore: true, galleryError: null });
      try {
        const page = await api.results(nextCursor, { q: query.trim() || undefined, favourites: favouritesOnly || undefined });
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
          checked: state.checked.filter((entry) => entry !== id),
        }));
      } catch (error) {
        set({ galleryError: errorBodyOf(error) });
      }
    },
    setQuery: (query) => {
      set({ query });
      clearTimeout(searchTimer);
      // A search per pause in typing, not per key.
      searchTimer = setTimeout(() => void reload(), 250);
    },
    setFavouritesOnly: (favouritesOnly) => {
      set({ favouritesOnly });
      void reload();
    },
    toggleFavourite: async (id) => {
      const record = get().results.find((result) => result.id === id);
      if (!record) return;
      const favourite = !record.favourite;
      const patch = (value: boolean) =>
        set((state) => ({ results: state.results.map((result) => (result.id === id ? { ...result, favourite: value } : result)) }));
      patch(favourite);
      try {
        await api.setFavourite(id, favourite);
      } catch (error) {
        patch(!favourite);
        set({ galleryError: errorBodyOf(error) });
      }
    },
    toggleChecked: (id) =>
      set((state) => ({ checked: state.checked.includes(id) ? state.checked.filter((entry) => entry !== id) : [...state.checked, id] })),
    clearChecked: () => set({ checked: [] }),
    removeChecked: () => {
      get().flushDelete();
      const { checked, results, total, selectedId } = get();
      if (checked.length === 0) return;
      const ids = new Set(checked);
      const records = results.filter((result) => ids.has(result.id));
      set({
        results: results.filter((result) => !ids.has(result.id)),
        total: Math.max(0, total - records.length),
        selectedId: selectedId && ids.has(selectedId) ? null : selectedId,
        checked: [],
        pendingDelete: { records, total },
      });
      undoTimer = setTimeout(() => get().flushDelete(), UNDO_MS);
    },
    undoDelete: () => {
      clearTimeout(undoTimer);
      const pending = get().pendingDelete;
      if (!pending) return;
      const back = [...pending.records, ...get().results].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || (a.id < b.id ? 1 : -1));
      set({ results: back, total: get().total + pending.records.length, pendingDelete: null });
    },
    flushDelete: (options = {}) => {
      clearTimeout(undoTimer);
      const pending = get().pendingDelete;
      if (!pending) return;
      set({ pendingDelete: null });
      void Promise.all(pending.records.map((record) => api.deleteResult(record.id, options).catch((error: unknown) => error))).then((outcomes) => {
        const failed = outcomes.filter((outcome) => outcome instanceof ApiError && outcome.status !== 404);
        if (failed.length > 0) set({ galleryError: { code: 'delete_failed', message: `${failed.length} of ${pending.records.length} images could not be deleted: ${(failed[0] as ApiError).message}` } });
      });
    },
  };
};

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
    ...createImageSlice<StudioState>()(...args),
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
