// `npm run codegen [-- --check]`: generate TypeScript from schemas/, or fail when it is stale.
import { isFanoutError } from '@fanout/errors';
import { runCodegen } from '../codegen/codegen';

const check = process.argv.includes('--check');
try {
  const { changed } = runCodegen({ check });
  if (check && changed.length > 0) {
    console.error(
      `✘ generated contracts are stale: ${changed.join(', ')} in libs/contracts/src/generated.\n` +
        '  Run `npm run codegen` and commit the result.',
    );
    process.exit(1);
  }
  console.log(
    check
      ? '✔ generated contracts are up to date'
      : changed.length > 0
        ? `✔ wrote ${changed.join(', ')}`
        : '✔ generated contracts already up to date',
  );
} catch (error) {
  console.error(`✘ codegen failed: ${isFanoutError(error) ? error.message : String(error)}`);
  process.exit(1);
}
