import { defineConfig } from 'vite';

export default defineConfig(({ isSsrBuild }) => ({
  // Bundle every dependency in the SSR check too, so it proves Vite (not Node) resolves them.
  ssr: { noExternal: true },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
    rollupOptions: isSsrBuild
      ? // tfjs-core's Node platform calls `require`, which an ES module lacks.
        { output: { banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" } }
      : {},
  },
}));
