module.exports = { ...require('../../jest.preset.cjs'), displayName: 'util', rootDir: __dirname };
