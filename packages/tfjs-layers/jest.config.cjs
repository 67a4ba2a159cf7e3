module.exports = { preset: '@attrib/jest-preset' };
