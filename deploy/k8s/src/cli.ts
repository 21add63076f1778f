// `npm run k8s -- generate | check | provision | validate [--offline-only]`
import { relative } from 'node:path';
import { generateFiles, staleFiles, writeFiles } from './generate';
import { packageRoot, repoRoot } from './paths';
import { validateOverlays } from './validate';
import { provisionValidators } from './validators';

const [command = 'help'] = process.argv.slice(2);

async function main(): Promise<number> {
  switch (command) {
    case 'generate': {
      const written = writeFiles(await generateFiles());
      console.log(written.length ? `wrote ${written.join(', ')}` : 'generated files up to date');
      return 0;
    }
    case 'check': {
      const stale = staleFiles(await generateFiles());
      if (stale.length === 0) return 0;
      const dir = relative(repoRoot, packageRoot);
      console.error(`stale in ${dir}: ${stale.join(', ')}; run npm run k8s -- generate`);
      return 1;
    }
    case 'provision': {
      provisionValidators(console.log);
      return 0;
    }
    case 'validate': {
      const report = await validateOverlays();
      return report.ok ? 0 : 1;
    }
    default:
      console.log('usage: npm run k8s -- generate | check | provision | validate');
      return command === 'help' ? 0 : 2;
  }
}

process.exit(await main());
