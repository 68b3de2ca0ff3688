/**
 * Builds a function bundle with the stack's own bundling options (FUNCTION_BUNDLING in
 * lib/pipeline-function.ts), so that its size and cold start are the deployed ones.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { FUNCTION_BUNDLING } from '../../lib/pipeline-function';

export interface FunctionBundle {
  /** The bundled code file (index.mjs, as NodejsFunction names ESM output). */
  readonly file: string;
  /** Size of the code file in bytes (the source map is a separate file). */
  readonly bytes: number;
}

export async function bundleFunction(
  pathUnderFunctions: string,
  outDir: string,
  options: { readonly external?: readonly string[] } = {},
): Promise<FunctionBundle> {
  const file = join(outDir, 'index.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL(`../../functions/${pathUnderFunctions}`, import.meta.url))],
    outfile: file,
    bundle: true,
    platform: 'node',
    target: FUNCTION_BUNDLING.target,
    format: 'esm',
    minify: FUNCTION_BUNDLING.minify,
    sourcemap: FUNCTION_BUNDLING.sourceMap,
    sourcesContent: FUNCTION_BUNDLING.sourcesContent,
    mainFields: [...FUNCTION_BUNDLING.mainFields],
    banner: { js: FUNCTION_BUNDLING.banner },
    external: [...FUNCTION_BUNDLING.externalModules, ...(options.external ?? [])],
    logLevel: 'error',
  });
  return { file, bytes: statSync(file).size };
}
