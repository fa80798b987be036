import { describe, expect, it } from 'vitest';
import { evaluateSpec, formatResults, parseImageSpec, type ImageObservations } from './image-spec';

const observed: ImageObservations = {
  config: { User: '10001:10001', WorkingDir: '/app', Entrypoint: ['/e.sh'], Env: ['A=1', 'PATH=/x:/y'], Labels: { l: 'v' } },
  sizeBytes: 195_400_000,
  commands: [
    { exitCode: 0, stdout: 'Hello\n', stderr: '' },
    { exitCode: 1, stdout: '', stderr: 'No module named pip' },
  ],
  files: [{ owner: '10001:10001', mode: '755' }, undefined],
};

describe('parseImageSpec', () => {
  it('fills defaults from the schema', () => {
    expect(parseImageSpec({ commands: [{ name: 'x' }], files: [{ path: '/a' }] }, 's.json')).toEqual({
      commands: [{ name: 'x', exitCode: 0 }],
      files: [{ path: '/a', exists: true }],
    });
  });
  it.each([
    [{ maxSizeMB: 'big' }, '/maxSizeMB must be number'],
    [{ files: [{ path: 'relative' }] }, '/files/0/path must match pattern "^/"'],
    [{ unknown: 1 }, '/ must NOT have additional properties'],
    [{ commands: [{ args: ['x'] }] }, "/commands/0 must have required property 'name'"],
  ])('names the file and path of %j', (spec, message) => {
    expect(() => parseImageSpec(spec, 'images/x/image-test.json')).toThrow(
      `images/x/image-test.json: not a valid image test spec: ${message}`,
    );
  });
});

describe('evaluateSpec', () => {
  const spec = parseImageSpec(
    {
      user: '10001:10001',
      workdir: '/app',
      entrypoint: ['/e.sh'],
      env: { A: '1' },
      labels: { l: 'v' },
      maxSizeMB: 250,
      commands: [
        { name: 'greets', stdout: 'Hello' },
        { name: 'no pip', exitCode: 1, outputMatches: 'No module named pip' },
      ],
      files: [
        { path: '/app', owner: '10001:10001', mode: '0755' },
        { path: '/app/tests', exists: false },
      ],
    },
    's.json',
  );

  it('passes every check that holds', () => {
    const results = evaluateSpec(spec, observed);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results).toHaveLength(14);
  });

  it.each([
    ['user', { config: { ...observed.config, User: '' } }, '✗ user: expected "10001:10001", actual ""'],
    ['size', { sizeBytes: 300_000_000 }, '✗ size budget: expected "≤ 250 MB", actual "300.0 MB"'],
    [
      'stdout',
      { commands: [{ exitCode: 0, stdout: 'Bye', stderr: '' }, observed.commands[1]] },
      '✗ command "greets": stdout: expected "Hello", actual "Bye"',
    ],
    [
      'exit code',
      { commands: [observed.commands[0], { exitCode: 0, stdout: '', stderr: '' }] },
      '✗ command "no pip": exit code: expected 1, actual 0',
    ],
    ['a missing file', { files: [undefined, undefined] }, '✗ file /app: exists: expected "present", actual "absent"'],
    [
      'a file that should be absent',
      { files: [observed.files[0], { owner: '0:0', mode: '755' }] },
      '✗ file /app/tests: absent: expected "absent", actual "present"',
    ],
    ['an owner', { files: [{ owner: '0:0', mode: '755' }, undefined] }, '✗ file /app: owner: expected "10001:10001", actual "0:0"'],
  ])('reports a failing %s with expected and actual', (_case, change, line) => {
    const text = formatResults(evaluateSpec(spec, { ...observed, ...change } as ImageObservations));
    expect(text.split('\n')).toContain(`  ${line}`);
  });
});
