module.exports = { ...require('../../../jest.preset.cjs'), displayName: 'orders-feature', rootDir: __dirname };
