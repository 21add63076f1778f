import { fileURLToPath } from 'node:url';

/** The repository root, found from this file (the package runs from source). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
/** deploy/k8s */
export const packageRoot = fileURLToPath(new URL('../', import.meta.url));
