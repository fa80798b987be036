/**
 * The soundness corpus: realistic Dockerfiles in the forms users write (uv's bind-mount
 * layout, ONBUILD parents, sources through stage ARGs and ENVs, multi-stage Python
 * services, Airflow- and Home Assistant-style images, wildcards, dotfiles, archives,
 * whole-context mounts, remote content, nested folders, Containerfiles, a chosen
 * target stage, FROM scratch), each with its context files, under an allowlist
 * `.dockerignore` with re-includes, `**` and a leading `/`.
 *
 * Dockerfiles name the pinned upstream as `${BASE_IMAGE}@${BASE_DIGEST}` and workspace
 * parents as `ARG X=ffreis/<name>`; the test workspace renames the prefix.
 */
export interface CorpusImage {
  /** Project name. */
  name: string;
  /** Workspace-relative Dockerfile. */
  dockerfile: string;
  text: string;
  /** Parent ARG → parent image name. */
  parents?: Record<string, string>;
  /** The stage to build, set in the image's project.json. */
  target?: string;
  /** Built with the pin (BASE_IMAGE/BASE_DIGEST). */
  pinned?: boolean;
  /** Only docker's engine reads it (a form podman 4.3 lacks). */
  dockerOnly?: boolean;
}

const PIN = 'ARG BASE_IMAGE\nARG BASE_DIGEST\n';
const FROM_PIN = 'FROM ${BASE_IMAGE}@${BASE_DIGEST}';

export const CORPUS_IGNORE = [
  '# An allowlist: only the images and their cases go to the engine.',
  '*',
  '!cases',
  '!images',
  '**/__pycache__',
  '**/*.pyc',
  '!cases/keep/keep.pyc',
  'cases/*/local.env',
  '/cases/docs',
  '',
].join('\n');

export const CORPUS_FILES: Record<string, string> = {
  'cases/uv/pyproject.toml': '[project]\nname = "svc"\nversion = "0.1.0"\ndependencies = ["httpx>=0.27"]\n',
  'cases/uv/uv.lock': 'version = 1\n[[package]]\nname = "httpx"\nversion = "0.27.0"\n',
  'cases/uv/src/svc/__init__.py': 'VERSION = "0.1.0"\n',
  'cases/onbuild/requirements.txt': 'flask==3.0.0\n',
  'cases/onbuild/setup.cfg': '[metadata]\nname = svc\n',
  'cases/onbuild/app.py': 'print("onbuild child")\n',
  'cases/stage-arg/lib.py': 'def f():\n    return 1\n',
  'cases/env-src/conf/app.yaml': 'port: 8080\n',
  'cases/global-arg/settings.ini': '[app]\ndebug = false\n',
  'cases/multistage-py/requirements.txt': 'requests==2.32.0\nattrs==23.2.0\n',
  'cases/multistage-py/app/main.py': 'print("svc")\n',
  'cases/multistage-py/tests/test_main.py': 'def test_ok():\n    assert True\n',
  'cases/wildcard/a.py': 'A = 1\n',
  'cases/wildcard/b.py': 'B = 2\n',
  'cases/wildcard/notes.txt': 'not copied\n',
  'cases/dotfiles/.env.example': 'PORT=8080\n',
  'cases/dotfiles/.config/settings': 'theme=dark\n',
  'cases/dotfiles/run.sh': '#!/bin/sh\necho run\n',
  'cases/dotfiles/local.env': 'SECRET=ignored\n',
  'cases/dotfiles/__pycache__/run.cpython-311.pyc': 'ignored\n',
  'cases/json-form/with space.txt': 'spaced\n',
  'cases/json-form/plain.txt': 'plain\n',
  'cases/bind-all/conf.cfg': 'x = 1\n',
  'cases/airflow/dags/etl.py': 'dag = "etl"\n',
  'cases/airflow/requirements.txt': 'apache-airflow-providers-http==4.0.0\n',
  'cases/homeassistant/rootfs/etc/services.d/home-assistant/run': '#!/bin/sh\nexec python3 -m homeassistant\n',
  'cases/homeassistant/rootfs/usr/local/bin/ha': '#!/bin/sh\necho ha\n',
  'cases/team-service/svc.py': 'print("team service")\n',
  'cases/containerfile/app.conf': 'listen 80\n',
  'cases/target/dev.txt': 'dev tools\n',
  'cases/target/prod.txt': 'prod config\n',
  'cases/scratch/hello.txt': 'hello from scratch\n',
  'cases/chain/parent.txt': 'parent\n',
  'cases/chain/child.txt': 'child\n',
  'cases/keep/keep.pyc': 're-included\n',
  'cases/keep/other.pyc': 'excluded\n',
  'cases/keep/module.py': 'KEEP = True\n',
  'cases/docs/guide.md': 'never sent (/cases/docs)\n',
  'cases/unused/notes.md': 'no image reads this\n',
  'NOTES.md': 'outside the allowlist\n',
};

export const CORPUS: CorpusImage[] = [
  {
    name: 'uv',
    dockerfile: 'images/uv/Dockerfile',
    pinned: true,
    text: `${PIN}${FROM_PIN} AS build
WORKDIR /app
# uv's own layout: the lock and project file are bind-mounted for the dependency step.
RUN --mount=type=bind,source=cases/uv/uv.lock,target=/app/uv.lock \\
    --mount=type=bind,source=cases/uv/pyproject.toml,target=/app/pyproject.toml \\
    --mount=type=cache,target=/root/.cache/uv \\
    cat uv.lock pyproject.toml | sha256sum > /app/deps.lock
COPY cases/uv/src /app/src
${FROM_PIN}
COPY --from=build /app /app
`,
  },
  {
    name: 'onbuild-parent',
    dockerfile: 'images/onbuild-parent/Dockerfile',
    pinned: true,
    text: `${PIN}${FROM_PIN}
WORKDIR /app
ONBUILD COPY cases/onbuild/requirements.txt /app/requirements.txt
ONBUILD RUN --mount=type=bind,source=cases/onbuild/setup.cfg,target=/tmp/setup.cfg cat /tmp/setup.cfg > /app/setup.txt
`,
  },
  {
    name: 'onbuild-child',
    dockerfile: 'images/onbuild-child/Dockerfile',
    parents: { PARENT_IMAGE: 'onbuild-parent' },
    text: 'ARG PARENT_IMAGE=ffreis/onbuild-parent\nFROM ${PARENT_IMAGE}\nCOPY cases/onbuild/app.py /app/app.py\n',
  },
  {
    name: 'stage-arg',
    dockerfile: 'images/stage-arg/Dockerfile',
    pinned: true,
    text: `${PIN}${FROM_PIN}\nARG SRC=cases/stage-arg\nCOPY \${SRC}/lib.py /app/lib.py\n`,
  },
  {
    name: 'env-src',
    dockerfile: 'images/env-src/Dockerfile',
    pinned: true,
    text: `${PIN}${FROM_PIN}\nENV APP_HOME=/app \\\n    SRC_DIR=cases/env-src\nCOPY \${SRC_DIR}/conf/ \${APP_HOME}/conf/\n`,
  },
  {
    name: 'global-arg',
    dockerfile: 'images/global-arg/Dockerfile',
    pinned: true,
    text: `ARG CONF=cases/global-arg/settings.ini\n${PIN}${FROM_PIN}\nARG CONF\nCOPY \${CONF} /etc/app.ini\n`,
  },
  {
    name: 'multistage-py',
    dockerfile: 'images/multistage-py/Dockerfile',
    pinned: true,
    text: `${PIN}${FROM_PIN} AS deps
WORKDIR /src
COPY cases/multistage-py/requirements.txt .
RUN sort requirements.txt > /src/requirements.lock

FROM deps AS test
COPY cases/multistage-py/app ./app
COPY cases/multistage-py/tests ./tests
RUN ls -R app tests > /src/test-report.txt

${FROM_PIN}
COPY --from=deps /src/requirements.lock /app/
COPY --from=test /src/app /app/app
`,
  },
  {
    name: 'wildcard',
    dockerfile: 'images/wildcard/Dockerfile',
    pinned: true,
    text: `${PIN}${FROM_PIN}\nCOPY cases/wildcard/*.py /app/\n`,
  },
  {
    name: 'dotfiles',
    dockerfile: 'images/dotfiles/Dockerfile',
    pinned: true,
    text: `${PIN}${FROM_PIN}\nCOPY cases/dotfiles/ /app/\n`,
  },
  {
    name: 'json-form',
    dockerfile: 'images/json-form/Dockerfile',
    pinned: true,
    text:
      `${PIN}${FROM_PIN}\nCOPY --chown=1000:1000 ["cases/json-form/with space.txt", "/data/"]\nCOPY --chmod=644 ` +
      `cases/json-form/plain.txt /data/\n`,
  },
  {
    name: 'bind-all',
    dockerfile: 'images/bind-all/Dockerfile',
    pinned: true,
    text: `${PIN}${FROM_PIN}\nRUN --mount=type=bind,target=/ctx cat /ctx/cases/bind-all/conf.cfg > /conf.cfg\n`,
  },
  {
    name: 'airflow',
    dockerfile: 'images/airflow/Dockerfile',
    pinned: true,
    text: `${PIN}${FROM_PIN}
ARG AIRFLOW_UID=50000
ENV AIRFLOW_HOME=/opt/airflow
RUN useradd --uid \${AIRFLOW_UID} --gid 0 --home-dir \${AIRFLOW_HOME} --no-create-home airflow
COPY --chown=airflow:root cases/airflow/dags/ \${AIRFLOW_HOME}/dags/
COPY cases/airflow/requirements.txt /requirements.txt
USER \${AIRFLOW_UID}
`,
  },
  {
    name: 'homeassistant',
    dockerfile: 'images/homeassistant/Dockerfile',
    pinned: true,
    text: `${PIN}${FROM_PIN}\nCOPY cases/homeassistant/rootfs /\nWORKDIR /config\n`,
  },
  {
    name: 'team-service',
    dockerfile: 'images/team/service/Dockerfile',
    pinned: true,
    text: `${PIN}${FROM_PIN}\nCOPY cases/team-service/svc.py /svc.py\n`,
  },
  {
    name: 'containerfile',
    dockerfile: 'images/containerfile/Containerfile',
    pinned: true,
    text: `${PIN}${FROM_PIN}\nCOPY cases/containerfile/app.conf /etc/app.conf\n`,
  },
  {
    name: 'target',
    dockerfile: 'images/target/Dockerfile',
    pinned: true,
    target: 'prod',
    text: `${PIN}${FROM_PIN} AS prod\nCOPY cases/target/prod.txt /prod.txt\n\nFROM prod AS dev\nCOPY cases/target/dev.txt /dev.txt\n`,
  },
  {
    name: 'scratch',
    dockerfile: 'images/scratch/Dockerfile',
    text: 'FROM scratch\nCOPY cases/scratch/hello.txt /hello.txt\n',
  },
  {
    name: 'chain-parent',
    dockerfile: 'images/chain-parent/Dockerfile',
    pinned: true,
    text: `${PIN}${FROM_PIN}\nCOPY cases/chain/parent.txt /parent.txt\n`,
  },
  {
    name: 'chain-child',
    dockerfile: 'images/chain-child/Dockerfile',
    parents: { PARENT_IMAGE: 'chain-parent' },
    text: 'ARG PARENT_IMAGE=ffreis/chain-parent\nFROM ${PARENT_IMAGE}\nCOPY cases/chain/child.txt /child.txt\n',
  },
  {
    name: 'copy-child',
    dockerfile: 'images/copy-child/Dockerfile',
    pinned: true,
    parents: { PARENT_IMAGE: 'chain-parent' },
    // Only copies out of its parent: hashed on the copied content, not the parent's inputs.
    text:
      `ARG PARENT_IMAGE=ffreis/chain-parent\n${PIN}FROM \${PARENT_IMAGE} AS parent\n${FROM_PIN}\nCOPY --from=parent ` +
      `/parent.txt /copied.txt\nCOPY cases/chain/child.txt /child.txt\n`,
  },
  {
    name: 'keep',
    dockerfile: 'images/keep/Dockerfile',
    pinned: true,
    text: `${PIN}${FROM_PIN}\nCOPY cases/keep /keep\n`,
  },
  {
    name: 'tar',
    dockerfile: 'images/tar/Dockerfile',
    pinned: true,
    text: `${PIN}${FROM_PIN}\nADD cases/tar/bundle.tar /opt/\n`,
  },
  {
    name: 'add-url',
    dockerfile: 'images/add-url/Dockerfile',
    pinned: true,
    // The port is written by the test (a loopback server it owns).
    text: `${PIN}${FROM_PIN}\nADD http://127.0.0.1:PORT/payload.txt /payload.txt\n`,
  },
];
