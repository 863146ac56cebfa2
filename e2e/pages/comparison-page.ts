// Page object for the comparison page /c/<id>: one column per precision (by its data-precision), the note shown when
// only one precision could run, the pair view, and the share link. Holds no assertions; specs make those.
import type { Locator, Page } from '@playwright/test';
import type { Precision } from '../../inference/pipeline/types.ts';

export class ComparisonPage {
  readonly page: Page;
  readonly root: Locator;
  readonly columns: Locator;
  readonly note: Locator;
  readonly pairView: Locator;
  readonly shareLink: Locator;
  readonly prompt: Locator;

  constructor(page: Page) {
    this.page = page;
    this.root = page.getByTestId('comparison-page');
    this.columns = this.root.getByTestId('comparison-column');
    this.note = this.root.getByTestId('comparison-note');
    this.pairView = this.root.getByTestId('pair-view');
    this.shareLink = this.root.getByTestId('comparison-share-link');
    this.prompt = this.root.getByTestId('comparison-prompt');
  }

  async goto(url: string): Promise<void> {
    await this.page.goto(url);
  }

  column(precision: Precision): Locator {
    return this.root.locator(`[data-testid="comparison-column"][data-precision="${precision}"]`);
  }

  reasonOf(precision: Precision): Locator {
    return this.column(precision).getByTestId('column-reason');
  }
}
