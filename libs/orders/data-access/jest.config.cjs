module.exports = { ...require('../../../jest.preset.cjs'), displayName: 'orders-data-access', rootDir: __dirname };
