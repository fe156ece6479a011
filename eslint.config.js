import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.gw/', '**/.gw/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        Buffer: 'readonly',
        performance: 'readonly',
        AbortController: 'readonly',
        fetch: 'readonly',
        structuredClone: 'readonly',
        setImmediate: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // What policies ask of the forward is reached only through src/pipeline/hooks.ts (typed hooks,
    // not context fields a policy could set): only it, the context type and the context factory
    // name the slots.
    files: ['src/**/*.{ts,tsx}'],
    ignores: ['src/pipeline/hooks.ts', 'src/pipeline/types.ts', 'src/pipeline/intake/create-context.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ regex: 'forward-state(\\.js)?$', message: 'Use the hooks of src/pipeline/hooks.ts.' }],
        },
      ],
    },
  },
);
