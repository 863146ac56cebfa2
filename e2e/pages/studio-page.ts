// Page object for the studio screen: finds controls by role, label or test id, and wraps the few multi-step
// actions the specs repeat. Deliberately holds no assertions about results; specs make those.
import type { Locator, Page } from '@playwright/test';

export class StudioPage {
  readonly page: Page;
  readonly prompt: Locator;
  readonly negativePrompt: Locator;
  readonly steps: Locator;
  readonly width: Locator;
  readonly height: Locator;
  readonly seed: Locator;
  readonly generateButton: Locator;
  readonly jobCards: Locator;
  readonly viewer: Locator;
  readonly historyItems: Locator;
  readonly tinyModelNote: Locator;
  readonly demoModelNote: Locator;
  readonly model: Locator;
  readonly auditPanel: Locator;
  readonly count: Locator;
  readonly connectionLost: Locator;

  constructor(page: Page) {
    this.page = page;
    this.prompt = page.getByRole('textbox', { name: 'Prompt', exact: true });
    this.negativePrompt = page.getByRole('textbox', { name: 'Negative prompt', exact: true });
    this.steps = page.getByRole('textbox', { name: 'Steps', exact: true });
    this.width = page.getByRole('textbox', { name: 'Width', exact: true });
    this.height = page.getByRole('textbox', { name: 'Height', exact: true });
    this.seed = page.getByRole('textbox', { name: 'Seed', exact: true });
    this.generateButton = page.getByRole('button', { name: /^Generate/ });
    this.jobCards = page.getByTestId('job-card');
    this.viewer = page.getByTestId('result-viewer');
    this.historyItems = page.getByTestId('history-item');
    this.tinyModelNote = page.getByTestId('tiny-model-note');
    this.demoModelNote = page.getByTestId('demo-model-note');
    this.model = page.getByRole('combobox', { name: 'Model', exact: true });
    this.auditPanel = page.getByTestId('audit-panel');
    this.count = page.getByRole('textbox', { name: 'Images', exact: true });
    this.connectionLost = page.getByTestId('connection-lost');
  }

  /** Opens the folded model line (model, precision, audit). */
  async openModel(): Promise<void> {
    const section = this.page.getByTestId('model-section');
    if ((await section.getAttribute('open')) === null) await section.locator('summary').first().click();
  }

  async goto(): Promise<void> {
    await this.page.goto('/');
    await this.ready();
  }

  /** Waits until React has taken over the form: what is typed before that is reset by hydration. */
  async ready(): Promise<void> {
    await this.page.locator('html[data-studio-ready]').waitFor({ state: 'attached' });
  }

  async fillSettings(settings: { prompt: string; width: number; height: number; steps?: number; count?: number }): Promise<void> {
    await this.ready();
    await this.prompt.fill(settings.prompt);
    await this.width.fill(String(settings.width));
    await this.height.fill(String(settings.height));
    if (settings.steps !== undefined) await this.steps.fill(String(settings.steps));
    if (settings.count !== undefined) await this.count.fill(String(settings.count));
  }

  progressOf(job: Locator): Locator {
    return job.getByRole('progressbar', { name: 'Denoising progress' });
  }

  viewerBadge(name: 'run' | 'vram' | 'time'): Locator {
    return this.viewer.getByTestId(`badge-${name}`);
  }

  async shownResultId(): Promise<string> {
    const id = await this.viewer.getAttribute('data-result-id');
    if (!id) throw new Error('The viewer shows no result.');
    return id;
  }

  /** Opens the viewer's evidence (census, audit, health, memory) and returns it. */
  async openEvidence(): Promise<Locator> {
    const evidence = this.viewer.getByTestId('evidence');
    await evidence.locator('summary').click();
    return evidence;
  }

  /** Presses Share and returns the absolute /r/<id> link it shows. */
  async shareLink(): Promise<string> {
    await this.viewer.getByRole('button', { name: 'Share' }).click();
    const link = this.viewer.getByTestId('share-link');
    const href = await link.getAttribute('href');
    if (!href) throw new Error('Share showed no link.');
    return href;
  }
}
