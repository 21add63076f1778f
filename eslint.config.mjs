// Flat config: TypeScript rules plus Nx module boundaries, so the dependency graph reads like
// the architecture (apps depend on libs, libs never on apps, and nobody reaches into a lib's
// inner files: a lib's door is its src/index.ts).
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '.nx/**',
      '.fanout/**',
      'libs/contracts/src/generated/**',
      'docs/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@fanout/*/src/*', '@fanout/*/src/**'],
              message: "Import a lib through its index ('@fanout/<lib>'), not its inner files.",
            },
          ],
        },
      ],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            {
              sourceTag: 'type:test',
              onlyDependOnLibsWithTags: ['type:lib', 'type:app', 'type:tool'],
            },
            // Tools may drive the platform tool's programmatic API (the CLI's `stack` command does).
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'scope:platform'] },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
