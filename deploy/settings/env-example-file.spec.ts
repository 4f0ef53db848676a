import { readFileSync } from 'node:fs';
import { staleFilesMessage } from '../generation/generated-file';
import { rootEnvExample } from './env-example-file';

describe('the console\'s per-service lines of .env.example, generated from ServiceTopology', () => {
  it('are what is committed', () => {
    const message = staleFilesMessage([rootEnvExample()]);
    if (message) throw new Error(message);
  });

  it('fails, naming the command, when the committed lines differ from what the topology gives', () => {
    const { file, content } = rootEnvExample();
    const committed = readFileSync(file, 'utf8');
    const edited = committed.replace('# ORDERS_GROUP=orders', '# ORDERS_GROUP=someone-else');
    expect(edited).not.toBe(committed);
    expect(staleFilesMessage([{ file, content: edited }])).toMatch(/npm run generate:deploy/);
    expect(content).toContain('# DELIVERY_URLS=http://127.0.0.1:4002');
  });
});
