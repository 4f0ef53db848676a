import { readFileSync } from 'node:fs';
import path from 'node:path';

/** A file the page needs, read once at start-up. */
export interface PageAsset {
  body: Buffer;
}

/** The page and its script and style (copied next to the compiled code by the build), and uPlot from npm. */
const PAGE_DIR = path.join(__dirname, '..', '..', 'public');
const UPLOT_DIR = path.join(path.dirname(require.resolve('uplot/package.json')), 'dist');

const ASSETS: Record<string, string> = {
  '': path.join(PAGE_DIR, 'index.html'),
  'console.js': path.join(PAGE_DIR, 'console.js'),
  'console.css': path.join(PAGE_DIR, 'console.css'),
  'vendor/uplot/uPlot.iife.min.js': path.join(UPLOT_DIR, 'uPlot.iife.min.js'),
  'vendor/uplot/uPlot.min.css': path.join(UPLOT_DIR, 'uPlot.min.css'),
};

/**
 * Every file the console serves, by URL path (without the leading slash). A fixed list, read into
 * memory at start-up: nothing else on disk can be asked for, and a missing file fails the start,
 * not a page load.
 */
export function loadPageAssets(): Map<string, PageAsset> {
  return new Map(Object.entries(ASSETS).map(([urlPath, file]) => [urlPath, { body: readFileSync(file) }]));
}
