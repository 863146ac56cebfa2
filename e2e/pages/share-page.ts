// Page object for the public share page /r/<id>.
import type { Locator, Page } from '@playwright/test';

export class SharePage {
  readonly page: Page;
  readonly root: Locator;
  readonly image: Locator;
  readonly prompt: Locator;
  readonly runBadge: Locator;

  constructor(page: Page) {
    this.page = page;
    this.root = page.getByTestId('share-page');
    this.image = this.root.getByRole('img');
    this.prompt = this.root.getByTestId('result-prompt');
    this.runBadge = this.root.getByTestId('badge-run');
  }

  async goto(url: string): Promise<void> {
    await this.page.goto(url);
  }

  ogImage(): Locator {
    return this.page.locator('meta[property="og:image"]');
  }
}
