/**
 * Builds a function bundle the way the stack does (lib/payments-function.ts: NodejsFunction bundling with
 * esbuild, minified ESM for node22, `createRequire` banner, nothing external), so that its size and cold
 * start are the deployed ones. Keep the options in step with that file.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** kafkajs calls require() for Node built-ins; ESM output has no require unless the bundle makes one. */
const CREATE_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

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
    target: 'node22',
    format: 'esm',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    banner: { js: CREATE_REQUIRE_BANNER },
    external: [...(options.external ?? [])],
    logLevel: 'error',
  });
  return { file, bytes: statSync(file).size };
}
