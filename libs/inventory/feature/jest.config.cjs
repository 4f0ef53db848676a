module.exports = { ...require('../../../jest.preset.cjs'), displayName: 'inventory-feature', rootDir: __dirname };
