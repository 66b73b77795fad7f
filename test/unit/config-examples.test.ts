/** Every configuration shipped in config/ is valid. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { builtinRegistry } from '../../src/components.js';
import { loadConfig } from '../../src/config/load.js';
import { ROOT } from '../helpers/paths.js';

const files = ['config/default.json', ...readdirSync(path.join(ROOT, 'config/examples')).map((f) => `config/examples/${f}`)];

for (const file of files) {
  test(`${file} is valid`, async () => {
    const config = await loadConfig(path.join(ROOT, file), builtinRegistry(), {});
    assert.ok(config.pipelines.length >= 1);
  });
}
