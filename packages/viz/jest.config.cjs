// fast-png and its iobuffer are ES modules only: let swc compile them to CommonJS for jest too.
module.exports = {
  preset: '@attrib/jest-preset',
  transformIgnorePatterns: ['/node_modules/(?!(\\.pnpm/)?(fast-png|iobuffer))'],
};
