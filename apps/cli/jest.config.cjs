// fast-png (read by @attrib/viz and the tests) and its iobuffer are ES modules only: swc compiles them too.
module.exports = {
  preset: '@attrib/jest-preset',
  transformIgnorePatterns: ['/node_modules/(?!(\\.pnpm/)?(fast-png|iobuffer))'],
};
