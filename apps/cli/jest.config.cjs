// fast-png (read by @attrib/viz) and its iobuffer are ES modules only: swc compiles them for jest too.
module.exports = {
  preset: '@attrib/jest-preset',
  transformIgnorePatterns: ['/node_modules/(?!(\\.pnpm/)?(fast-png|iobuffer))'],
};
