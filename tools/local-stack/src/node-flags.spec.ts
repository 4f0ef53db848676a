import { readFileSync } from 'node:fs';
import path from 'node:path';
import { envAssignmentsIn, maxOldSpaceMb, maxSemiSpaceMb, nodeFlagsIn, SERVICE_NODE_FLAGS, SERVICE_PROCESS_ENV } from './node-flags';
import { REPO_ROOT, SERVICES } from './repo-paths';

describe('the Node.js flags of the services', () => {
  it('cap the V8 heap (old generation and semi-spaces)', () => {
    expect(maxOldSpaceMb()).toBeGreaterThan(0);
    expect(maxSemiSpaceMb()).toBeGreaterThan(0);
  });

  it.each(SERVICES)('are the ones `nx serve %s` runs the app with', (service) => {
    const project = JSON.parse(readFileSync(path.join(REPO_ROOT, 'apps', service, 'project.json'), 'utf8')) as {
      targets: Record<string, { options?: { command?: string } }>;
    };
    const command = project.targets.serve?.options?.command ?? '';
    expect(command).toContain(`dist/apps/${service}/src/main.js`);
    expect(nodeFlagsIn(command)).toEqual([...SERVICE_NODE_FLAGS]);
    expect(envAssignmentsIn(command)).toEqual(SERVICE_PROCESS_ENV);
  });

  it('are read from a command line: the arguments between node and the script, the last one of a kind wins', () => {
    expect(nodeFlagsIn('sh -c "exec node --a=1 --b dist/apps/x/src/main.js"')).toEqual(['--a=1', '--b']);
    expect(nodeFlagsIn('node dist/main.js')).toEqual([]);
    expect(nodeFlagsIn('npm start')).toBeUndefined();
    expect(maxOldSpaceMb(['--max-old-space-size=64', '--max-old-space-size=96'])).toBe(96);
    expect(maxSemiSpaceMb(['--stack-size=2000'])).toBeUndefined();
    expect(envAssignmentsIn('A=1 B_=x node --c dist/main.js D=2')).toEqual({ A: '1', B_: 'x' });
    expect(envAssignmentsIn('node dist/main.js')).toEqual({});
  });
});
