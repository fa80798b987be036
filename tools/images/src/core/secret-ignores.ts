/**
 * The context rules that keep secrets, keys and VCS folders from ever reaching the engine (and
 * so any image): the workspace's own .dockerignore carries them, and `nx g @ffreis/nx-images:init`
 * writes them into a workspace that has no .dockerignore. secret-ignores.spec.ts checks the
 * workspace's file against this list.
 */
export const SECRET_IGNORES: readonly string[] = [
  '**/.env',
  '**/.env.*',
  '**/.git',
  '**/.hg',
  '**/.svn',
  '**/.ssh',
  '**/.aws',
  '**/.docker',
  '**/.npmrc',
  '**/.pypirc',
  '**/.netrc',
  '**/*.pem',
  '**/*.key',
  '**/*.p12',
  '**/*.pfx',
  '**/id_rsa*',
  '**/id_dsa*',
  '**/id_ed25519*',
  '**/id_ecdsa*',
  '**/*.env',
  '**/.envrc',
  '**/.git-credentials',
  '**/.dockercfg',
  '**/credentials.json',
  '**/service-account*.json',
  '**/secrets.yaml',
  '**/secrets.yml',
  '**/.gnupg',
  '**/.kube',
  '**/.azure',
  '**/.config/gcloud',
  '**/.terraformrc',
];

export const SECRET_IGNORES_HEADER = '# Secrets, keys and VCS folders never reach the engine, and so never an image.';
