module.exports = { ...require('../../../jest.preset.cjs'), displayName: 'delivery-feature', rootDir: __dirname };
