module.exports = { ...require('../../../jest.preset.cjs'), displayName: 'delivery-data-access', rootDir: __dirname };
