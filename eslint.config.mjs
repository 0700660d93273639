// Lint rules for the TypeScript sources, tests and build scripts: typescript-eslint's
// recommended set, with the few exceptions below (each says why).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'bench-out/', 'node_modules/', 'src/grammar/*.gen.ts', 'fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // `_name` marks a parameter a callback signature requires but the body does not use.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // dfw checks input for control characters (NUL, C0, DEL) on purpose: that is what these
      // regexes are for.
      'no-control-regex': 'off',
    },
  },
  {
    // A function a reader can hold in their head; an exception says why next to it.
    files: ['src/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }] },
  },
  {
    // CommonJS files (the bin's string-width stand-in) load modules with require().
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
