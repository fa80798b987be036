import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ignore from '@balena/dockerignore';
import { describe, expect, it } from 'vitest';
import { SECRET_IGNORES, SECRET_IGNORES_HEADER } from './secret-ignores';

describe('the secret rules of a build context', () => {
  it('are all in the workspace’s own .dockerignore, after their header', () => {
    const text = readFileSync(join(__dirname, '../../../../.dockerignore'), 'utf8');
    const lines = text.split('\n');
    const from = lines.indexOf(SECRET_IGNORES_HEADER);
    expect(from).toBeGreaterThan(-1);
    expect(lines.slice(from + 1).filter(Boolean)).toEqual([...SECRET_IGNORES]);
  });

  it.each([
    '.env',
    'app/.env.prod',
    '.git/config',
    'home/.ssh/id_rsa',
    'deploy/prod.env',
    'x/.config/gcloud/credentials.db',
    'id_ed25519.pub',
  ])('keep %s out of the context (the engine’s own matcher rules)', (file) => {
    expect(
      ignore()
        .add([...SECRET_IGNORES])
        .ignores(file),
    ).toBe(true);
  });

  it('keep an ordinary source file in', () => {
    expect(
      ignore()
        .add([...SECRET_IGNORES])
        .ignores('app/main.py'),
    ).toBe(false);
  });
});
