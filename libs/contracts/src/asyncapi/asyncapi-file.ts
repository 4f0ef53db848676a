import path from 'node:path';

/** Where the AsyncAPI document is committed (written by `npm run generate:asyncapi`). */
export const ASYNCAPI_FILE = path.resolve(__dirname, '../../../../docs/asyncapi.json');
