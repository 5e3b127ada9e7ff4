import type { BrowserContext, Page } from "playwright-core";

export declare const CHROMIUM: string;
export declare const CHROMIUM_FLAGS: string[];
export interface BrowserHandle {
  context: BrowserContext;
  page: Page;
  close: () => Promise<void>;
}
export declare function openBrowser(viewport?: { width: number; height: number }): Promise<BrowserHandle>;
