module.exports = { ...require('../../../jest.preset.cjs'), displayName: 'delivery-domain', rootDir: __dirname };
