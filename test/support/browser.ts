/*
 * A real headless Chromium for browser tests. @sparticuz/chromium and puppeteer-core are ESM-only,
 * and jest runs CommonJS in its own module system, which loads no ES module: the package's
 * executable path and arguments are read in a child process, and puppeteer-core is loaded by
 * Node's own loader (which loads ES modules with require since Node 20.19), outside jest's.
 */
import { execFileSync } from 'child_process';
import { Module } from 'module';
import * as path from 'path';
import type { Browser, PuppeteerNode } from 'puppeteer-core';

const ROOT = path.join(__dirname, '..', '..');

/** Flags of the package that would make the browser laxer than one a person uses: the tests want its web security on. */
const LAX_FLAGS = ['--disable-web-security', '--allow-running-insecure-content'];

function fromPackage(expression: string): string {
  return execFileSync(process.execPath, ['-e', `import('@sparticuz/chromium').then(async (m) => process.stdout.write(JSON.stringify(await ${expression})))`], { cwd: ROOT, encoding: 'utf8' });
}

/** Launches headless Chromium. */
export async function launchBrowser(): Promise<Browser> {
  // Both from one child process.
  const [executablePath, packageArgs] = JSON.parse(fromPackage('Promise.all([m.default.executablePath(), m.default.args])')) as [string, string[]];
  const args = packageArgs.filter((a) => !LAX_FLAGS.includes(a));
  const puppeteer = (nodeRequire('puppeteer-core') as { default: PuppeteerNode }).default;
  return puppeteer.launch({ executablePath, args, headless: true });
}

/** Node's own require from this folder (jest replaces `require` and `createRequire` with its own). */
function nodeRequire(id: string): unknown {
  const NodeModule = Module as unknown as { new (id: string): { paths: string[]; require(id: string): unknown }; _nodeModulePaths(dir: string): string[] };
  const loader = new NodeModule(__filename);
  loader.paths = NodeModule._nodeModulePaths(__dirname);
  return loader.require(id);
}
