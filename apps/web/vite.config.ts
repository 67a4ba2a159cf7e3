import { defaultClientConditions, defaultServerConditions, defineConfig } from 'vite';

export default defineConfig(({ isSsrBuild }) => ({
  // Workspace packages from their sources (their `@attrib/source` export), so no package build is needed first.
  resolve: { conditions: ['@attrib/source', ...defaultClientConditions] },
  // Bundle every dependency in the SSR check too, so it proves Vite (not Node) resolves them.
  ssr: { noExternal: true, resolve: { conditions: ['@attrib/source', ...defaultServerConditions] } },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
    rollupOptions: isSsrBuild
      ? // tfjs-core's Node platform calls `require`, which an ES module lacks.
        {
          output: {
            banner:
              "import { createRequire as createRequireForTfjs } from 'node:module'; const require = createRequireForTfjs(import.meta.url);",
          },
        }
      : {},
  },
}));
