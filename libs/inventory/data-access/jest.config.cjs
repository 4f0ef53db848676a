module.exports = { ...require('../../../jest.preset.cjs'), displayName: 'inventory-data-access', rootDir: __dirname };
