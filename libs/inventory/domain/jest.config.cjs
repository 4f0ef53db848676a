module.exports = { ...require('../../../jest.preset.cjs'), displayName: 'inventory-domain', rootDir: __dirname };
