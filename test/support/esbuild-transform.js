/*
 * Jest's transformer for TypeScript: esbuild strips the types, file by file, with a source map so
 * that stack traces and line numbers point into the .ts source. Pure: source text in, JavaScript
 * out. Types are checked once, by `tsc --noEmit`, which `npm test` runs beside jest.
 *
 * The compiler options esbuild honours (target, decorators, class fields, strictness) come from
 * tsconfig.json, so tests run the code as `tsc` would emit it. tsconfig has isolatedModules on, so
 * transpiling a file on its own is exact.
 */
const { createHash } = require('crypto');
const fs = require('fs');
const path = require('path');
const { transformSync, version } = require('esbuild');

const TSCONFIG = path.join(__dirname, '..', '..', 'tsconfig.json');
const tsconfigText = fs.readFileSync(TSCONFIG, 'utf8');
const { compilerOptions } = readTsconfig(tsconfigText);
if (!compilerOptions.isolatedModules) {
  throw new Error(`${TSCONFIG}: compilerOptions.isolatedModules must be true for test/support/esbuild-transform.js, which transpiles one file at a time; got ${compilerOptions.isolatedModules}`);
}

const OPTIONS = {
  loader: 'ts',
  format: 'cjs',
  platform: 'node',
  target: compilerOptions.target.toLowerCase(),
  sourcemap: 'external',
  sourcesContent: true,
  // As tsc emits it for CommonJS: `import()` becomes a `require`, which jest's module registry serves.
  supported: { 'dynamic-import': false },
  tsconfigRaw: { compilerOptions },
};
const CACHE_SALT = createHash('sha256').update(`${version}\0${tsconfigText}\0${fs.readFileSync(__filename, 'utf8')}`).digest('hex');

/** tsconfig.json as an object; through TypeScript's reader (slower to load) only if it is not plain JSON. */
function readTsconfig(text) {
  try {
    return JSON.parse(text);
  } catch {
    const ts = require('typescript');
    const parsed = ts.parseConfigFileTextToJson(TSCONFIG, text);
    if (parsed.error) throw new Error(`${TSCONFIG}: ${ts.flattenDiagnosticMessageText(parsed.error.messageText, '\n')}`);
    return parsed.config;
  }
}

module.exports = {
  canInstrument: false,
  process(source, filename) {
    const result = transformSync(source, { ...OPTIONS, sourcefile: filename });
    return { code: result.code, map: result.map };
  },
  getCacheKey(source, filename) {
    return createHash('sha256').update(CACHE_SALT).update('\0').update(filename).update('\0').update(source).digest('hex');
  },
};
