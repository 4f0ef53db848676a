// Every project's unit and integration suites in one Jest run (the e2e suite runs on its own,
// against the started apps: see apps/e2e).
const { readdirSync, existsSync } = require('node:fs');
const path = require('node:path');

function projectsUnder(dir, depth) {
  if (!existsSync(dir)) return [];
  if (existsSync(path.join(dir, 'jest.config.cjs')) && existsSync(path.join(dir, 'project.json'))) return [dir];
  if (depth === 0) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => projectsUnder(path.join(dir, entry.name), depth - 1));
}

module.exports = {
  projects: ['apps', 'libs', 'tools', 'deploy']
    .flatMap((root) => projectsUnder(path.join(__dirname, root), 3))
    .filter((dir) => !dir.endsWith(`${path.sep}e2e`)),
};
