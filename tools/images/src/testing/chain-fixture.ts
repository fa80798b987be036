import { parseDockerfile } from '../core/dockerfile';
import type { DockerfileEntry } from '../core/image-graph';

/** The five Dockerfiles of the chain, reduced to what the graph reads (unit-test fixture). */
export const CHAIN_DOCKERFILES: Record<string, string> = {
  base: 'ARG BASE_IMAGE\nARG BASE_DIGEST\nFROM ${BASE_IMAGE}@${BASE_DIGEST}\nRUN true\n',
  'base-builder': 'ARG BASE_IMAGE=ffreis/base\nFROM ${BASE_IMAGE}\nRUN true\n',
  builder: 'ARG BASE_BUILDER_IMAGE=ffreis/base-builder\nFROM ${BASE_BUILDER_IMAGE}\nCOPY app/requirements.txt ./\nCOPY app/ ./\n',
  'base-runner': 'ARG BASE_IMAGE=ffreis/base\nFROM ${BASE_IMAGE}\nCOPY images/base-runner/entrypoint.sh /usr/local/bin/\n',
  runner:
    'ARG BUILDER_IMAGE=ffreis/builder\nARG BASE_RUNNER_IMAGE=ffreis/base-runner\nFROM ${BUILDER_IMAGE} AS builder\n' +
    'FROM ${BASE_RUNNER_IMAGE}\nCOPY --from=builder /app /app\n',
};

/** Parsed entries for the given Dockerfiles (default: the chain). */
export function entriesOf(dockerfiles: Record<string, string> = CHAIN_DOCKERFILES): DockerfileEntry[] {
  return Object.entries(dockerfiles).map(([name, content]) => ({
    name,
    dockerfile: `images/${name}/Dockerfile`,
    info: parseDockerfile(content),
  }));
}
