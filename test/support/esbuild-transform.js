/*
 * Jest's transformer for TypeScript: esbuild strips the types, file by file, with a source map so
 * that stack traces and line numbers point into the .ts source. Pure: source text in, JavaScript
 * out. Types are checked once, by `tsc --noEmit`, which `npm test` runs beside jest.
 *
 * The options (bin/esbuild-options.cjs) come from tsconfig.json, so tests run the code as `tsc`
 * would emit it.
 */
const { createHash } = require('crypto');
const fs = require('fs');
const { transformSync, version } = require('esbuild');

const { options, tsconfigText } = require('../../bin/esbuild-options.cjs').esbuildOptions('test/support/esbuild-transform.js');
const OPTIONS = { ...options, sourcemap: 'external', sourcesContent: true };
const CACHE_SALT = createHash('sha256').update(`${version}\0${tsconfigText}\0${JSON.stringify(OPTIONS)}\0${fs.readFileSync(__filename, 'utf8')}`).digest('hex');

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
