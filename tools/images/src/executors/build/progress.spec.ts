import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { progressTarget, startProgress, stepOf } from './progress';

describe('the step a build is on', () => {
  it.each([
    ['STEP 3/7: RUN pip install -r requirements.txt', 'step 3/7: RUN pip install -r requirements.txt'],
    ['[2/2] STEP 1/4: FROM base AS runtime', 'step 1/4: FROM base AS runtime'],
    ['#7 [builder 3/7] RUN python -m unittest', 'step 3/7: RUN python -m unittest'],
    ['#9 [4/5] COPY app/ /app/', 'step 4/5: COPY app/ /app/'],
  ])('%s', (line, step) => {
    expect(stepOf(line)).toBe(step);
  });

  it('is no step for other lines, and cuts a long one', () => {
    expect(stepOf('#7 0.512 Collecting flask')).toBeUndefined();
    expect(stepOf('--> 1ca76dd022c')).toBeUndefined();
    expect(stepOf(`STEP 1/2: RUN ${'x'.repeat(200)}`)?.length).toBeLessThan(100);
  });
});

/** A process whose standard output is a file, standing in for `nx` run with its output redirected. */
function commandWritingTo(file: string, redirect = '>>') {
  return spawn('sh', ['-c', `exec sleep 5 ${redirect}"${file}"`], { stdio: 'ignore' });
}

describe('progress while an image builds, where Nx would show nothing until the build ends', () => {
  it('goes to the nx command’s output when it appends to a file (or writes a pipe), every IMAGE_PROGRESS_SECONDS', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'progress-')), 'nx-output');
    const nx = commandWritingTo(file);
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const env = { NX_INVOCATION_ROOT_PID: String(nx.pid), IMAGE_PROGRESS_SECONDS: '0.1' };
      expect(progressTarget(env)).toBe(`/proc/${nx.pid}/fd/1`);
      const progress = startProgress('builder', env);
      progress.line('STEP 5/12: RUN pip install -r requirements.txt');
      await new Promise((resolve) => setTimeout(resolve, 350));
      progress.stop();
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      expect(lines.length).toBeGreaterThanOrEqual(2);
      expect(lines[0]).toMatch(/^builder: building for \d+ s, step 5\/12: RUN pip install -r requirements\.txt$/);
    } finally {
      nx.kill();
    }
  });

  it('leaves alone a file the command truncated (its own writes would overwrite progress lines)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'progress-')), 'nx-output');
    const nx = commandWritingTo(file, '>');
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(progressTarget({ NX_INVOCATION_ROOT_PID: String(nx.pid) })).toBeUndefined();
    } finally {
      nx.kill();
    }
  });

  it('stays quiet when Nx streams the output, when it is switched off, or without the command’s pid', () => {
    const pid = String(process.pid);
    expect(progressTarget({ NX_INVOCATION_ROOT_PID: pid, NX_STREAM_OUTPUT: 'true' })).toBeUndefined();
    expect(progressTarget({ NX_INVOCATION_ROOT_PID: pid, IMAGE_PROGRESS_SECONDS: '0' })).toBeUndefined();
    expect(progressTarget({})).toBeUndefined();
    expect(progressTarget({ NX_INVOCATION_ROOT_PID: '999999999' })).toBeUndefined();
  });
});
